import { useEffect, useState } from 'react';
import { ApiError } from './request.js';
import { ClockIcon, Logo, domainLabel, fmtDuration } from './common.js';
import { examApi, type ExamSummary, type MyRun } from './examApi.js';
import { Markdown } from './Markdown.js';
import { NavLinks } from './NavLinks.js';

const LIVE = new Set(['provisioning', 'running', 'grading']);

export function ExamList() {
  const [exams, setExams] = useState<ExamSummary[] | null>(null);
  const [runs, setRuns] = useState<MyRun[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [starting, setStarting] = useState<string | null>(null);

  useEffect(() => {
    document.title = 'Mock exams · Kubedrill';
    examApi.exams().then(setExams, (e: Error) => setError(e.message));
    examApi.myRuns().then(setRuns, () => {});
  }, []);

  const start = async (id: string) => {
    setStarting(id);
    setError(null);
    try {
      const run = await examApi.start(id);
      location.hash = `#/exam/${run.id}`;
    } catch (e) {
      setError(e instanceof ApiError ? e.message : String(e));
      setStarting(null);
    }
  };

  const live = runs.filter((r) => LIVE.has(r.state));
  const past = runs.filter((r) => r.state === 'finished');

  return (
    <div className="page list-page exam-list-page">
      <header className="topbar">
        <Logo />
        <NavLinks current="exams" />
      </header>
      <main className="list-main">
        {live.length > 0 && (
          <section className="resume" aria-label="Your exam in progress">
            <h2>Your exam in progress</h2>
            <ul>
              {live.map((r) => (
                <li key={r.id}>
                  <a href={`#/exam/${r.id}`} data-run={r.id}>
                    {r.title} <span className="muted">({r.state})</span>
                  </a>
                </li>
              ))}
            </ul>
          </section>
        )}
        <div className="list-head">
          <h1>Mock exams</h1>
        </div>
        <p className="muted exam-intro">
          Like the real CKA: several clusters, one timer on the server that cannot be paused, alerts at 30, 15 and 5 minutes, flags and a
          notepad. Nothing is graded until you submit or the time runs out — then every task is graded once.
        </p>
        {error && (
          <div className="alert alert-error" role="alert">
            {error}
          </div>
        )}
        {!exams && !error && <p className="muted">Loading exams…</p>}
        <ul className="exam-grid" aria-label="Mock exams">
          {(exams ?? []).map((e) => (
            <li key={e.id} className="exam-card" data-exam={e.id}>
              <h3>{e.title}</h3>
              {e.description && <Markdown source={e.description} className="summary" />}
              <dl className="exam-facts">
                <dt>Time</dt>
                <dd>
                  <ClockIcon /> {fmtMinutes(e.timeLimitMinutes)}
                </dd>
                <dt>Tasks</dt>
                <dd>{e.tasks.length}</dd>
                <dt>Clusters</dt>
                <dd>
                  {e.clusters.map((c) => `${c.name} (${1 + c.workers} nodes)`).join(', ')}
                </dd>
                <dt>Pass mark</dt>
                <dd>{e.passPercent}%</dd>
                <dt>Setup</dt>
                <dd data-testid="estimate">
                  about {fmtDuration(e.estimateSeconds * 1000)} ({e.clusters.length} cluster{e.clusters.length > 1 ? 's' : ''}, {e.concurrency} at a time, ~
                  {e.perClusterSeconds} s each{e.measured ? ' as measured on this machine' : ''})
                </dd>
              </dl>
              <ol className="exam-task-preview">
                {e.tasks.map((t, i) => (
                  <li key={i}>
                    <span className={`domain dom-${t.domain}`}>{domainLabel(t.domain)}</span> · cluster {t.cluster} · weight {t.weight}
                  </li>
                ))}
              </ol>
              <div className="card-foot">
                <span className="meta">The clock starts when every cluster is ready.</span>
                <span className="spacer" />
                <button type="button" className="btn btn-primary" disabled={starting !== null || live.length > 0} onClick={() => void start(e.id)} aria-label={`Start exam: ${e.title}`}>
                  {starting === e.id ? 'Starting…' : 'Start exam'}
                </button>
              </div>
            </li>
          ))}
        </ul>
        {past.length > 0 && (
          <section className="past-runs" aria-label="Past exams">
            <h2>Past results</h2>
            <ul>
              {past.map((r) => (
                <li key={r.id}>
                  <a href={`#/exam/${r.id}`}>
                    {r.title} — {r.totalPercent ?? 0}% {r.passed ? 'pass' : 'fail'}
                  </a>{' '}
                  <span className="muted">{new Date(r.createdAt).toLocaleString()}</span>
                </li>
              ))}
            </ul>
          </section>
        )}
      </main>
    </div>
  );
}

export function fmtMinutes(m: number): string {
  if (m < 1 || !Number.isInteger(m)) return fmtDuration(m * 60_000);
  return m >= 60 ? `${Math.floor(m / 60)} h${m % 60 ? ` ${m % 60} min` : ''}` : `${m} min`;
}
