import { useEffect, useMemo, useState } from 'react';
import { api, type ScenarioSummary } from './api.js';
import { ApiError } from './request.js';
import { ClockIcon, DOMAINS, DifficultyBadge, Logo, domainLabel } from './common.js';
import { NavLinks } from './NavLinks.js';
import type { CkaDomain } from '../../server/scenarios/types.js';

type MySession = { id: string; scenarioId: string; stage: string; createdAt: string };

export function ScenarioList() {
  const [scenarios, setScenarios] = useState<ScenarioSummary[] | null>(null);
  const [mine, setMine] = useState<MySession[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [domain, setDomain] = useState<CkaDomain | 'all'>('all');
  const [query, setQuery] = useState('');
  const [starting, setStarting] = useState<string | null>(null);

  useEffect(() => {
    document.title = 'Kubedrill: CKA practice scenarios';
    api.scenarios().then(setScenarios, (e: Error) => setError(e.message));
    api.mySessions().then(setMine, () => {});
  }, []);

  const counts = useMemo(() => {
    const c: Record<string, number> = {};
    for (const s of scenarios ?? []) c[s.domain] = (c[s.domain] ?? 0) + 1;
    return c;
  }, [scenarios]);

  const shown = (scenarios ?? []).filter(
    (s) =>
      (domain === 'all' || s.domain === domain) &&
      (!query || `${s.title} ${s.summary} ${s.id}`.toLowerCase().includes(query.toLowerCase())),
  );

  const start = async (id: string) => {
    setStarting(id);
    setError(null);
    try {
      const s = await api.start(id);
      location.hash = `#/session/${s.id}`;
    } catch (e) {
      setError(e instanceof ApiError ? `${e.message}` : String(e));
      setStarting(null);
    }
  };

  const live = mine.filter((m) => m.stage !== 'ended' && m.stage !== 'failed');
  const titleOf = (id: string) => scenarios?.find((s) => s.id === id)?.title ?? id;

  return (
    <div className="page list-page">
      <header className="topbar">
        <Logo />
        <span className="topbar-sub">CKA practice on real kind clusters</span>
        <NavLinks current="scenarios" />
      </header>
      <main className="list-main">
        {live.length > 0 && (
          <section className="resume" aria-label="Your running sessions">
            <h2>Your running sessions</h2>
            <ul>
              {live.map((m) => (
                <li key={m.id}>
                  <a href={`#/session/${m.id}`}>
                    {titleOf(m.scenarioId)} <span className="muted">({m.stage})</span>
                  </a>
                </li>
              ))}
            </ul>
          </section>
        )}
        <div className="list-head">
          <h1>Scenarios</h1>
          <input
            type="search"
            className="search"
            placeholder="Search scenarios"
            aria-label="Search scenarios"
            value={query}
            onChange={(e) => setQuery(e.target.value)}
          />
        </div>
        <div className="filters" role="group" aria-label="Filter by CKA domain">
          <button type="button" className={`chip ${domain === 'all' ? 'on' : ''}`} aria-pressed={domain === 'all'} onClick={() => setDomain('all')}>
            All <span className="count">{scenarios?.length ?? 0}</span>
          </button>
          {(Object.keys(DOMAINS) as CkaDomain[]).map((d) => (
            <button
              key={d}
              type="button"
              className={`chip ${domain === d ? 'on' : ''}`}
              aria-pressed={domain === d}
              onClick={() => setDomain(d)}
              disabled={!counts[d]}
              title={`${DOMAINS[d].weight}% of the CKA exam`}
            >
              {DOMAINS[d].label} <span className="count">{counts[d] ?? 0}</span>
            </button>
          ))}
        </div>
        {error && (
          <div className="alert alert-error" role="alert">
            {error}
          </div>
        )}
        {!scenarios && !error && <p className="muted">Loading scenarios…</p>}
        {scenarios && shown.length === 0 && <p className="muted">No scenario matches.</p>}
        <ul className="scenario-grid" aria-label="Scenarios">
          {shown.map((s) => (
            <li key={s.id} className="scenario-card" data-scenario={s.id}>
              <div className="card-top">
                <span className={`domain dom-${s.domain}`}>{domainLabel(s.domain)}</span>
                <DifficultyBadge d={s.difficulty} />
              </div>
              <h3>{s.title}</h3>
              <p className="summary">{s.summary}</p>
              <div className="card-foot">
                <span className="meta" title="Estimated time">
                  <ClockIcon /> {s.minutes} min
                </span>
                <span className="meta" title="Cluster size">
                  {1 + s.workers} node{s.workers ? 's' : ''}
                </span>
                <span className="spacer" />
                <button
                  type="button"
                  className="btn btn-primary"
                  onClick={() => void start(s.id)}
                  disabled={starting !== null}
                  aria-label={`Start ${s.title}`}
                >
                  {starting === s.id ? 'Starting…' : 'Start'}
                </button>
              </div>
            </li>
          ))}
        </ul>
      </main>
    </div>
  );
}
