import { useCallback, useEffect, useRef, useState, type MutableRefObject } from 'react';
import { CheckResults } from './CheckResults.js';
import { ConfirmDialog, Logo, domainLabel, fmtDuration, useTick } from './common.js';
import { EventLog } from './EventLog.js';
import { examApi, subscribeExam, type ExamEvent, type ExamRunView } from './examApi.js';
import { Markdown } from './Markdown.js';
import { LoadFailedPage, LoadingPage } from './PageStates.js';
import { TerminalPane } from './Terminal.js';
import { TerminalPanel, TerminalTabs } from './TerminalTabs.js';
import './exam.css';

type Results = NonNullable<ExamRunView['results']>;

/** One exam run: set-up progress, then the exam, then the results. */
export function ExamPage({ id }: { id: string }) {
  const [run, setRun] = useState<ExamRunView | null>(null);
  const [events, setEvents] = useState<ExamEvent[]>([]);
  const [loadError, setLoadError] = useState<Error | null>(null);
  const [connected, setConnected] = useState(true);
  const [alert, setAlert] = useState<string | null>(null);
  /** Server clock minus browser clock (ms): the countdown follows the server. */
  const offset = useRef(0);

  const accept = useCallback((r: ExamRunView) => {
    offset.current = Date.parse(r.serverNow) - Date.now();
    setRun(r);
  }, []);

  useEffect(() => {
    let stop = () => {};
    examApi.run(id).then(
      (r) => {
        accept(r);
        if (r.state === 'finished' || r.state === 'failed' || r.state === 'cancelled') return;
        stop = subscribeExam(
          id,
          (m) => {
            if (m.type === 'run') accept(m.run);
            else if (m.type === 'history') setEvents(m.events);
            else if (m.type === 'event') {
              setEvents((ev) => [...ev, m.event]);
              if (m.event.type === 'alert') setAlert(`${m.event.message}`);
            }
          },
          setConnected,
        );
      },
      (e: Error) => setLoadError(e),
    );
    return () => stop();
  }, [id, accept]);

  useEffect(() => {
    document.title = run ? `${run.title} · Kubedrill` : 'Kubedrill';
  }, [run?.title]);

  if (loadError) {
    return <LoadFailedPage error={loadError} what="exam" goneNote="Only the browser that started an exam can open it." backHref="#/exams" backLabel="Back to exams" />;
  }
  if (!run) return <LoadingPage>Loading exam…</LoadingPage>;
  return (
    <div className="page exam-page" data-state={run.state} data-run={run.id}>
      {run.state === 'running' ? (
        <ExamWorkspace run={run} setRun={accept} offset={offset} alert={alert} onDismissAlert={() => setAlert(null)} connected={connected} />
      ) : run.state === 'finished' ? (
        <ExamResultsPage run={run} />
      ) : (
        <ExamSetup run={run} events={events} />
      )}
    </div>
  );
}

// ---- set-up ------------------------------------------------------------------------

function ExamSetup({ run, events }: { run: ExamRunView; events: ExamEvent[] }) {
  const failed = run.state === 'failed' || run.state === 'cancelled';
  const grading = run.state === 'grading';
  const now = useTick(!failed);
  const elapsed = now - Date.parse(run.createdAt);
  const [busy, setBusy] = useState(false);
  const lines = events.filter((e) => e.type !== 'alert');
  const cancel = async () => {
    setBusy(true);
    try {
      await examApi.cancel(run.id);
    } finally {
      location.hash = '#/exams';
    }
  };
  return (
    <>
      <header className="topbar">
        <Logo />
        <div className="topbar-title">
          <span className="crumb">{run.title}</span>
        </div>
      </header>
      <main className="progress-main">
        <section className="progress-card" aria-labelledby="exam-setup-h">
          <h1 id="exam-setup-h">
            {grading ? 'Grading your exam…' : failed ? (run.state === 'cancelled' ? 'Exam cancelled' : 'Setting up the exam failed') : 'Setting up your exam clusters'}
          </h1>
          <p className="muted">
            {grading
              ? 'Every task is checked once against its cluster.'
              : failed
                ? run.error ?? 'The clusters were deleted.'
                : `${run.clusters.length} cluster${run.clusters.length > 1 ? 's' : ''}; expected to take about ${fmtDuration(run.estimateSeconds * 1000)}. The ${fmtDuration(run.timeLimitSeconds * 1000)} timer starts only when all are ready.`}
            {!failed && !grading && <span className="elapsed"> Elapsed {fmtDuration(elapsed)}</span>}
          </p>
          {!grading && (
            <ul className="exam-clusters" aria-live="polite">
              {run.clusters.map((c) => (
                <li key={c.name} className={`exam-cluster cl-${c.state}`} data-cluster={c.name} data-state={c.state}>
                  <span className="stage-icon" aria-hidden="true">
                    {c.state === 'ready' ? '✓' : c.state === 'failed' ? '✗' : c.state === 'queued' ? '○' : <span className="spinner" />}
                  </span>
                  <span>
                    Cluster <strong>{c.name}</strong> ({1 + c.workers} nodes) — {c.state}
                    {c.seconds !== undefined && <span className="muted"> in {c.seconds} s</span>}
                    {c.error && <span className="err"> {c.error}</span>}
                  </span>
                  <span className="muted mono">{c.kindName}</span>
                </li>
              ))}
            </ul>
          )}
          <EventLog
            label="Set-up output"
            lines={lines.map((e) => ({ elapsedMs: e.elapsedMs, kind: e.type === 'cluster' || e.type === 'state' ? 'stage' : e.type, text: e.message }))}
          />
          <div className="progress-actions">
            <a className="btn" href="#/exams">
              Back to exams
            </a>
            {run.state === 'provisioning' && (
              <button type="button" className="btn btn-danger-outline" disabled={busy} onClick={() => void cancel()}>
                Cancel and delete clusters
              </button>
            )}
          </div>
        </section>
      </main>
    </>
  );
}

// ---- the exam ------------------------------------------------------------------------

function Countdown({ deadline, offset }: { deadline: number; offset: MutableRefObject<number> }) {
  const now = useTick(true, 500);
  const left = Math.max(0, deadline - (now + offset.current));
  const cls = left <= 5 * 60_000 ? 'crit' : left <= 15 * 60_000 ? 'warn' : '';
  return (
    <span className={`countdown ${cls}`} data-testid="countdown" data-remaining-ms={left} role="timer" aria-label="Time left">
      {left === 0 ? 'Time is up' : fmtDuration(left)}
    </span>
  );
}

function ExamWorkspace({
  run,
  setRun,
  offset,
  alert,
  onDismissAlert,
  connected,
}: {
  run: ExamRunView;
  setRun: (r: ExamRunView) => void;
  offset: MutableRefObject<number>;
  alert: string | null;
  onDismissAlert: () => void;
  connected: boolean;
}) {
  const storeKey = `kd.exam.${run.id}.task`;
  const [current, setCurrent] = useState(() => Math.min(run.tasks.length - 1, Math.max(0, Number(localStorage.getItem(storeKey)) || 0)));
  const [error, setError] = useState<string | null>(null);
  const [confirm, setConfirm] = useState(false);
  const [submitting, setSubmitting] = useState(false);
  const [notesOpen, setNotesOpen] = useState(true);
  const task = run.tasks[current]!;
  const cluster = run.clusters.find((c) => c.name === task.cluster)!;
  const [activeNode, setActiveNode] = useState<Record<string, string>>({});
  /** Nodes whose terminal was opened once: kept mounted so switching tasks keeps the shells. */
  const [mounted, setMounted] = useState<Set<string>>(new Set());
  const node = activeNode[cluster.name] ?? cluster.nodes[0]?.name ?? '';

  useEffect(() => localStorage.setItem(storeKey, String(current)), [current, storeKey]);
  useEffect(() => {
    if (node && !mounted.has(node)) setMounted((m) => new Set(m).add(node));
  }, [node, mounted]);

  const flag = async () => {
    setError(null);
    try {
      setRun(await examApi.flag(run.id, task.index, !task.flagged));
    } catch (e) {
      setError((e as Error).message);
    }
  };
  const submit = async () => {
    setSubmitting(true);
    setError(null);
    try {
      setRun(await examApi.submit(run.id));
    } catch (e) {
      setError((e as Error).message);
      setSubmitting(false);
    }
  };
  const flagged = run.tasks.filter((t) => t.flagged).length;
  const deadline = Date.parse(run.deadlineAt!);

  return (
    <>
      <header className="topbar exam-topbar">
        <Logo />
        <div className="topbar-title">
          <span className="crumb">{run.title}</span>
        </div>
        <span className="spacer" />
        {!connected && <span className="badge badge-warn">reconnecting…</span>}
        <Countdown deadline={deadline} offset={offset} />
        <button type="button" className="btn btn-primary" data-action="submit" disabled={submitting} onClick={() => setConfirm(true)}>
          {submitting ? 'Grading…' : 'Submit exam'}
        </button>
      </header>
      {alert && (
        <div className="alert alert-warn banner exam-alert" role="alert" data-testid="time-alert">
          ⏰ {alert}
          <button type="button" className="btn btn-ghost btn-xs" onClick={onDismissAlert} aria-label="Dismiss">
            ✕
          </button>
        </div>
      )}
      {error && (
        <div className="alert alert-error banner" role="alert">
          {error}
        </div>
      )}
      <main className="exam-main">
        <nav className="task-nav" aria-label="Tasks">
          <h2>Tasks</h2>
          <ol>
            {run.tasks.map((t) => (
              <li key={t.index} data-task={t.index} data-flagged={t.flagged} className={t.index === current ? 'on' : ''}>
                <button type="button" onClick={() => setCurrent(t.index)} aria-current={t.index === current ? 'step' : undefined}>
                  <span className="tn">{t.index + 1}</span>
                  <span className="tt">
                    {t.title}
                    <span className="tmeta">
                      cluster {t.cluster} · weight {t.weight}
                    </span>
                  </span>
                  {t.flagged && (
                    <span className="flag-mark" title="Flagged" aria-label="flagged">
                      ⚑
                    </span>
                  )}
                </button>
              </li>
            ))}
          </ol>
          <p className="muted small">
            {flagged} flagged · weights total {run.tasks.reduce((s, t) => s + t.weight, 0)} · pass mark {run.passPercent}%
          </p>
        </nav>
        <section className="exam-task" aria-label={`Task ${current + 1}`}>
          <div className="exam-task-head">
            <h2>
              Task {current + 1} of {run.tasks.length}
            </h2>
            <span className={`domain dom-${task.domain}`}>{domainLabel(task.domain)}</span>
            <span className="spacer" />
            <button type="button" className={`btn btn-sm ${task.flagged ? 'btn-flagged' : ''}`} data-action="flag" aria-pressed={task.flagged} onClick={() => void flag()}>
              ⚑ {task.flagged ? 'Flagged' : 'Flag for review'}
            </button>
          </div>
          <div className="where" data-testid="where">
            Work on cluster <strong>{task.cluster}</strong>: use the terminal tabs on the right ({cluster.nodes.map((n) => n.alias).join(', ')}).
          </div>
          <article className="task">
            <Markdown source={task.text ?? ''} />
          </article>
          <div className="task-pager">
            <button type="button" className="btn btn-sm" disabled={current === 0} onClick={() => setCurrent(current - 1)}>
              ← Previous
            </button>
            <button type="button" className="btn btn-sm" disabled={current === run.tasks.length - 1} onClick={() => setCurrent(current + 1)}>
              Next →
            </button>
          </div>
          <Notepad run={run} open={notesOpen} onToggle={() => setNotesOpen((o) => !o)} />
        </section>
        <section className="terminals" aria-label="Terminals" data-cluster={cluster.name} data-cluster-kind={cluster.kindName}>
          <TerminalTabs
            nodes={cluster.nodes}
            active={node}
            onSelect={(name) => setActiveNode((a) => ({ ...a, [cluster.name]: name }))}
            label={`Nodes of cluster ${cluster.name}`}
            lead={<span className="tabs-cluster">cluster {cluster.name}</span>}
            hint="Ctrl+Shift+C / V to copy / paste"
          />
          {run.clusters.flatMap((c) =>
            c.nodes
              .filter((n) => mounted.has(n.name))
              .map((n) => (
                <TerminalPanel key={n.name} node={n.name} active={n.name === node}>
                  <TerminalPane sessionId={run.id} socketPath="ws/exam-terminal" idParam="run" node={n.name} active={n.name === node} />
                </TerminalPanel>
              )),
          )}
        </section>
      </main>
      <ConfirmDialog
        open={confirm}
        title="Submit the exam?"
        confirmLabel="Submit and grade"
        onCancel={() => setConfirm(false)}
        onConfirm={() => {
          setConfirm(false);
          void submit();
        }}
      >
        <p>
          Every task is graded once, now, and the clusters are deleted. You cannot change anything afterwards.
          {flagged > 0 && (
            <>
              {' '}
              <strong>
                {flagged} task{flagged > 1 ? 's are' : ' is'} still flagged.
              </strong>
            </>
          )}
        </p>
      </ConfirmDialog>
    </>
  );
}

function Notepad({ run, open, onToggle }: { run: ExamRunView; open: boolean; onToggle: () => void }) {
  const [text, setText] = useState(run.notes);
  const [status, setStatus] = useState<'saved' | 'saving' | 'unsaved' | 'error'>('saved');
  const timer = useRef<number | undefined>(undefined);
  const latest = useRef(text);
  const save = useCallback(
    async (value: string) => {
      setStatus('saving');
      try {
        await examApi.notes(run.id, value);
        setStatus(latest.current === value ? 'saved' : 'unsaved');
      } catch {
        setStatus('error');
      }
    },
    [run.id],
  );
  useEffect(() => () => clearTimeout(timer.current), []);
  const onChange = (v: string) => {
    setText(v);
    latest.current = v;
    setStatus('unsaved');
    clearTimeout(timer.current);
    timer.current = window.setTimeout(() => void save(v), 600);
  };
  return (
    <section className="aside-block notepad" aria-labelledby="notes-h">
      <div className="block-head">
        <h2 id="notes-h">
          <button type="button" className="btn btn-ghost btn-xs" onClick={onToggle} aria-expanded={open}>
            {open ? '▾' : '▸'}
          </button>{' '}
          Notepad
        </h2>
        <span className="muted small" data-testid="notes-status" data-status={status}>
          {status === 'saved' ? 'saved on the server' : status === 'saving' ? 'saving…' : status === 'error' ? 'not saved: retrying on the next change' : 'typing…'}
        </span>
      </div>
      {open && (
        <textarea
          id="notepad"
          aria-label="Notepad"
          value={text}
          maxLength={10_000}
          rows={6}
          onChange={(e) => onChange(e.target.value)}
          onBlur={() => status === 'unsaved' && void save(text)}
          placeholder="Notes for yourself: kept for this exam, also across a reload."
        />
      )}
    </section>
  );
}

// ---- results ------------------------------------------------------------------------

export function ExamResultsPage({ run }: { run: ExamRunView }) {
  const r = run.results as Results | undefined;
  if (!r) return <main className="center-msg">No results were recorded for this exam.</main>;
  return (
    <>
      <header className="topbar">
        <Logo />
        <div className="topbar-title">
          <span className="crumb">{run.title} — results</span>
        </div>
        <span className="spacer" />
        <a className="btn" href="#/progress">
          Progress
        </a>
        <a className="btn" href="#/exams">
          Exams
        </a>
      </header>
      <main className="results-main">
        <section id="exam-results" className={`exam-summary ${r.passed ? 'passed' : 'failed'}`} data-total={r.totalPercent} data-passed={r.passed} aria-labelledby="res-total">
          <h1 id="res-total">
            <span data-testid="total">{r.totalPercent}%</span> — {r.passed ? 'Pass' : 'Not passed'}
          </h1>
          <p className="muted">
            Pass mark {r.passPercent}% ·{' '}
            {r.endReason === 'submitted' ? 'submitted' : r.endReason === 'clusters-lost' ? 'ended: clusters lost' : 'time ran out'} after {fmtDuration(r.secondsUsed * 1000)} · graded{' '}
            {new Date(r.gradedAt).toLocaleString()}
          </p>
          <div className="bar big" aria-hidden="true">
            <div className="bar-fill" style={{ width: `${Math.min(100, r.totalPercent)}%` }} />
            <div className="bar-mark" style={{ left: `${r.passPercent}%` }} />
          </div>
          <h2>By CKA domain</h2>
          <table className="domain-table">
            <thead>
              <tr>
                <th>Domain</th>
                <th>Tasks</th>
                <th>Weight</th>
                <th>Score</th>
              </tr>
            </thead>
            <tbody>
              {r.domains.map((d) => (
                <tr key={d.domain} data-domain={d.domain}>
                  <td>{domainLabel(d.domain)}</td>
                  <td>{d.tasks}</td>
                  <td>{d.weight}</td>
                  <td>
                    <strong>{d.percent}%</strong>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
        {r.tasks.map((t) => (
          <section key={t.index} className="task-result" data-task={t.index} data-percent={t.percent} aria-labelledby={`tr-${t.index}`}>
            <div className="results-head">
              <h2 id={`tr-${t.index}`}>
                Task {t.index + 1}: {t.title} {t.flagged && <span title="You flagged this task">⚑</span>}
              </h2>
              <span className="score">
                {t.score} / {t.maxScore} points · <strong>{t.percent}%</strong> · weight {t.weight} → {t.weightedScore}
              </span>
            </div>
            <p className="muted small">
              {domainLabel(t.domain)} · cluster {t.cluster}
              {t.error && <span className="err"> · {t.error}</span>}
            </p>
            <CheckResults checks={t.checks} explainLabel="Why" />
            <details className="solution-details">
              <summary>Solution</summary>
              <Markdown source={t.solution} className="solution" />
            </details>
          </section>
        ))}
      </main>
    </>
  );
}
