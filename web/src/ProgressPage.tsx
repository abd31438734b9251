import { useEffect, useState } from 'react';
import { Logo, domainLabel, fmtDuration } from './common.js';
import { examApi, type ProgressData } from './examApi.js';
import { NavLinks } from './NavLinks.js';
import './exam.css';

/** History, best scores, CKA domains weakest first, and what to practise next. */
export function ProgressPage() {
  const [data, setData] = useState<ProgressData | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    document.title = 'Progress · Kubedrill';
    examApi.progress().then(setData, (e: Error) => setError(e.message));
  }, []);
  return (
    <div className="page progress-page">
      <header className="topbar">
        <Logo />
        <NavLinks current="progress" />
      </header>
      <main className="list-main">
        <h1>Your progress</h1>
        {error && (
          <div className="alert alert-error" role="alert">
            {error}
          </div>
        )}
        {!data && !error && <p className="muted">Loading…</p>}
        {data && (
          <>
            <section className="prog-block" aria-labelledby="sug-h">
              <h2 id="sug-h">Practise next</h2>
              {data.suggestions.length === 0 ? (
                <p className="muted">Nothing left to suggest: every scenario is at 100 %.</p>
              ) : (
                <ul className="suggestions">
                  {data.suggestions.map((s) => (
                    <li key={s.scenarioId} data-scenario={s.scenarioId}>
                      <a href="#/">{s.title}</a> <span className={`domain dom-${s.domain}`}>{domainLabel(s.domain)}</span>
                      <div className="muted small">{s.reason}</div>
                    </li>
                  ))}
                </ul>
              )}
            </section>
            <section className="prog-block" aria-labelledby="dom-h">
              <h2 id="dom-h">CKA domains, weakest first</h2>
              <table className="domain-table" data-testid="domains">
                <thead>
                  <tr>
                    <th>Domain</th>
                    <th>Average of best scores</th>
                    <th>Scenarios graded</th>
                    <th>Attempts</th>
                  </tr>
                </thead>
                <tbody>
                  {data.domains.map((d) => (
                    <tr key={d.domain} data-domain={d.domain}>
                      <td>{domainLabel(d.domain)}</td>
                      <td>
                        {d.averagePercent === null ? (
                          <span className="muted">not practised</span>
                        ) : (
                          <span className="mini-bar">
                            <span style={{ width: `${d.averagePercent}%` }} /> {d.averagePercent}%
                          </span>
                        )}
                      </td>
                      <td>{d.scenarios}</td>
                      <td>{d.attempts}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </section>
            {data.exams.length > 0 && (
              <section className="prog-block" aria-labelledby="ex-h">
                <h2 id="ex-h">Mock exams</h2>
                <ul className="exam-history">
                  {data.exams.map((e) => (
                    <li key={e.id} data-run={e.id} data-state={e.state}>
                      <a href={`#/exam/${e.id}`}>{e.title}</a> —{' '}
                      {e.state === 'finished' ? (
                        <strong>
                          {e.totalPercent}% {e.passed ? 'pass' : 'fail'}
                        </strong>
                      ) : (
                        e.state
                      )}{' '}
                      <span className="muted small">{new Date(e.createdAt).toLocaleString()}</span>
                    </li>
                  ))}
                </ul>
              </section>
            )}
            <section className="prog-block" aria-labelledby="best-h">
              <h2 id="best-h">Best scores</h2>
              {data.best.length === 0 ? (
                <p className="muted">No attempts yet. Start a scenario or a mock exam.</p>
              ) : (
                <table className="domain-table" data-testid="best">
                  <thead>
                    <tr>
                      <th>Scenario</th>
                      <th>Domain</th>
                      <th>Best</th>
                      <th>Attempts</th>
                    </tr>
                  </thead>
                  <tbody>
                    {data.best.map((b) => (
                      <tr key={b.scenarioId} data-scenario={b.scenarioId}>
                        <td>{b.title}</td>
                        <td>{b.domain ? domainLabel(b.domain) : ''}</td>
                        <td>
                          {b.bestPercent === null ? '—' : `${b.bestPercent}%`}
                          {b.solutionViewedInBest && <span className="badge badge-warn"> solution viewed</span>}
                        </td>
                        <td>{b.attempts}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
            </section>
            <section className="prog-block" aria-labelledby="hist-h">
              <h2 id="hist-h">History</h2>
              <table className="domain-table history" data-testid="history">
                <thead>
                  <tr>
                    <th>When</th>
                    <th>Scenario</th>
                    <th>Mode</th>
                    <th>Score</th>
                    <th>Time</th>
                    <th>Hints</th>
                    <th>Solution</th>
                  </tr>
                </thead>
                <tbody>
                  {data.history.map((h) => (
                    <tr key={h.id} data-attempt={h.id} data-mode={h.mode} data-scenario={h.scenarioId}>
                      <td>{new Date(h.startedAt).toLocaleString()}</td>
                      <td>{h.title}</td>
                      <td>{h.mode === 'exam' && h.examRunId ? <a href={`#/exam/${h.examRunId}`}>exam</a> : 'training'}</td>
                      <td>{h.lastPercent === null ? <span className="muted">not checked</span> : `${h.lastPercent}%${h.bestPercent !== h.lastPercent ? ` (best ${h.bestPercent}%)` : ''}`}</td>
                      <td>{h.secondsSpent === null ? <span className="muted">in progress</span> : fmtDuration(h.secondsSpent * 1000)}</td>
                      <td>{h.hintsRevealed}</td>
                      <td>{h.solutionViewed ? 'viewed' : ''}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </section>
          </>
        )}
      </main>
    </div>
  );
}
