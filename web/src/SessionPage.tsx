import { useCallback, useEffect, useRef, useState, type PointerEvent as ReactPointerEvent } from 'react';
import { api, subscribeEvents, type GradeReport, type ScenarioSummary, type SessionEvent, type SessionView } from './api.js';
import { CheckResults } from './CheckResults.js';
import { ClockIcon, ConfirmDialog, DifficultyBadge, Logo, domainLabel, fmtDuration, useTick } from './common.js';
import { EventLog } from './EventLog.js';
import { Markdown } from './Markdown.js';
import { LoadFailedPage, LoadingPage } from './PageStates.js';
import { TerminalPane } from './Terminal.js';
import { TerminalPanel, TerminalTabs } from './TerminalTabs.js';
import type { Stage } from '../../server/engine/types.js';

const SETUP_STAGES: Array<{ stage: Stage; label: string }> = [
  { stage: 'queued', label: 'Queued' },
  { stage: 'provisioning', label: 'Creating the kind cluster' },
  { stage: 'preparing', label: 'Preparing nodes (kubectl, alias k, completion)' },
  { stage: 'injecting', label: 'Setting up the scenario and injecting the fault' },
  { stage: 'ready', label: 'Ready' },
];
const SETUP_ORDER = SETUP_STAGES.map((s) => s.stage);
const WORK_STAGES = new Set<Stage>(['ready', 'grading', 'resetting']);

type Confirm = null | 'solution' | 'reset' | 'end';

export function SessionPage({ id }: { id: string }) {
  const [session, setSession] = useState<SessionView | null>(null);
  const [events, setEvents] = useState<SessionEvent[]>([]);
  const [scenario, setScenario] = useState<ScenarioSummary | null>(null);
  const [loadError, setLoadError] = useState<Error | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);
  const [connected, setConnected] = useState(true);
  const [grade, setGrade] = useState<GradeReport | null>(null);
  const [busy, setBusy] = useState<null | 'check' | 'hint' | 'solution' | 'reset' | 'end'>(null);
  const [confirm, setConfirm] = useState<Confirm>(null);

  useEffect(() => {
    let stop = () => {};
    api.session(id).then(
      (s) => {
        setSession(s);
        if (s.lastGrade) setGrade(s.lastGrade);
        if (s.stage === 'ended') return;
        stop = subscribeEvents(
          id,
          (m) => {
            if (m.type === 'session') {
              setSession(m.session);
              if (m.session.lastGrade) setGrade(m.session.lastGrade);
            } else if (m.type === 'history') setEvents(m.events);
            else if (m.type === 'event') setEvents((ev) => [...ev, m.event]);
          },
          setConnected,
        );
      },
      (e: Error) => setLoadError(e),
    );
    return () => stop();
  }, [id]);

  useEffect(() => {
    if (!session) return;
    api.scenarios().then((list) => setScenario(list.find((s) => s.id === session.scenarioId) ?? null), () => {});
  }, [session?.scenarioId]);

  useEffect(() => {
    document.title = scenario ? `${scenario.title} · Kubedrill` : 'Kubedrill';
  }, [scenario]);

  const run = useCallback(
    async (what: NonNullable<typeof busy>, fn: () => Promise<void>) => {
      setBusy(what);
      setActionError(null);
      try {
        await fn();
      } catch (e) {
        setActionError(e instanceof Error ? e.message : String(e));
      } finally {
        setBusy(null);
      }
    },
    [],
  );

  const doCheck = () =>
    run('check', async () => {
      const g = await api.check(id);
      setGrade(g);
      requestAnimationFrame(() => document.getElementById('results')?.scrollIntoView({ behavior: 'smooth', block: 'start' }));
    });
  const doHint = () =>
    run('hint', async () => {
      const r = await api.hint(id);
      setSession((s) => (s ? { ...s, hints: r.hints, hintsRevealed: r.hints.length } : s));
    });
  const doSolution = () =>
    run('solution', async () => {
      const steps = await api.solution(id);
      setSession((s) => (s ? { ...s, solution: steps, solutionViewed: true } : s));
    });
  const doReset = () =>
    run('reset', async () => {
      const s = await api.reset(id);
      setSession(s);
      setGrade(null);
    });
  const doEnd = () =>
    run('end', async () => {
      await api.end(id);
      location.hash = '#/';
    });

  if (loadError) {
    return (
      <LoadFailedPage
        error={loadError}
        what="session"
        goneNote="Sessions end when the server restarts, and only the browser that started a session can open it."
        backHref="#/"
        backLabel="Back to scenarios"
      />
    );
  }
  if (!session) return <LoadingPage>Loading session…</LoadingPage>;

  const working = WORK_STAGES.has(session.stage);
  const title = scenario?.title ?? session.scenarioId;

  return (
    <div className="page session-page" data-stage={session.stage}>
      <header className="topbar">
        <Logo />
        <div className="topbar-title">
          <span className="crumb">{title}</span>
          {scenario && (
            <>
              <span className="domain-sm">{domainLabel(scenario.domain)}</span>
              <DifficultyBadge d={scenario.difficulty} />
            </>
          )}
        </div>
        <span className="spacer" />
        {!connected && session.stage !== 'ended' && <span className="badge badge-warn">reconnecting…</span>}
        {working && <Clock session={session} minutes={scenario?.minutes} />}
        {working && (
          <div className="actions">
            <button type="button" className="btn btn-primary" onClick={doCheck} disabled={busy !== null || session.stage !== 'ready'} data-action="check">
              {busy === 'check' || session.stage === 'grading' ? 'Checking…' : 'Check'}
            </button>
            <button type="button" className="btn" onClick={() => setConfirm('reset')} disabled={busy !== null || session.stage !== 'ready'}>
              {session.stage === 'resetting' ? 'Resetting…' : 'Reset'}
            </button>
            <button type="button" className="btn btn-danger-outline" onClick={() => setConfirm('end')} disabled={busy !== null}>
              End
            </button>
          </div>
        )}
      </header>
      {actionError && (
        <div className="alert alert-error banner" role="alert">
          {actionError}
          <button type="button" className="btn btn-ghost btn-xs" onClick={() => setActionError(null)} aria-label="Dismiss">
            ✕
          </button>
        </div>
      )}
      {working ? (
        <Workspace
          session={session}
          grade={grade}
          busy={busy}
          onHint={doHint}
          onSolution={() => setConfirm('solution')}
          totalHints={scenario?.hintCount}
        />
      ) : session.stage === 'ended' ? (
        <Ended session={session} grade={grade} />
      ) : (
        <Progress session={session} events={events} onEnd={() => setConfirm('end')} />
      )}
      <ConfirmDialog
        open={confirm === 'solution'}
        title="Show the solution?"
        confirmLabel="Show solution"
        onCancel={() => setConfirm(null)}
        onConfirm={() => {
          setConfirm(null);
          void doSolution();
        }}
      >
        <p>The session will be marked as <strong>solution viewed</strong>. Try the hints first if you have not.</p>
      </ConfirmDialog>
      <ConfirmDialog
        open={confirm === 'reset'}
        title="Reset the scenario?"
        confirmLabel="Reset"
        danger
        onCancel={() => setConfirm(null)}
        onConfirm={() => {
          setConfirm(null);
          void doReset();
        }}
      >
        <p>The cluster goes back to its broken starting state. Everything you changed is lost.</p>
      </ConfirmDialog>
      <ConfirmDialog
        open={confirm === 'end'}
        title="End this session?"
        confirmLabel="End and delete cluster"
        danger
        onCancel={() => setConfirm(null)}
        onConfirm={() => {
          setConfirm(null);
          void doEnd();
        }}
      >
        <p>The cluster and its terminals are deleted. Your last check result is kept on this page until you leave it.</p>
      </ConfirmDialog>
    </div>
  );
}

function Clock({ session, minutes }: { session: SessionView; minutes?: number }) {
  const now = useTick(true);
  const start = Date.parse(session.readyAt ?? session.createdAt);
  const ms = now - start;
  const over = minutes !== undefined && ms > minutes * 60_000;
  return (
    <span className={`clock ${over ? 'over' : ''}`} title={minutes ? `Suggested time: ${minutes} minutes` : 'Time since the cluster was ready'} aria-label="Elapsed time">
      <ClockIcon /> {fmtDuration(ms)}
      {minutes !== undefined && <span className="muted"> / {minutes}:00</span>}
    </span>
  );
}

function Progress({ session, events, onEnd }: { session: SessionView; events: SessionEvent[]; onEnd: () => void }) {
  const failed = session.stage === 'failed';
  const now = useTick(!failed);
  const createdAt = Date.parse(session.createdAt);
  const stageStart = new Map<Stage, number>();
  for (const e of events) if (e.type === 'stage' && e.stage && !stageStart.has(e.stage)) stageStart.set(e.stage, e.elapsedMs);
  const currentIdx = SETUP_ORDER.indexOf(session.stage);
  const lastStageIdx = failed ? Math.max(...[...stageStart.keys()].map((s) => SETUP_ORDER.indexOf(s))) : currentIdx;
  const logLines = events.filter((e) => e.type === 'log' || e.type === 'error' || e.type === 'stage');
  const totalMs = now - createdAt;

  return (
    <main className="progress-main">
      <section className="progress-card" aria-labelledby="prog-title">
        <h1 id="prog-title">{failed ? 'Setting up the cluster failed' : 'Setting up your cluster'}</h1>
        <p className="muted">
          {failed ? session.error : `A fresh kind cluster is being created for this scenario. This usually takes a minute or two.`}
          {!failed && <span className="elapsed"> Elapsed {fmtDuration(totalMs)}</span>}
        </p>
        <ol className="stages" aria-live="polite">
          {SETUP_STAGES.map((s, i) => {
            const started = stageStart.get(s.stage);
            const next = SETUP_STAGES[i + 1] ? stageStart.get(SETUP_STAGES[i + 1]!.stage) : undefined;
            let state: 'done' | 'active' | 'todo' | 'failed' = 'todo';
            if (failed) state = i < lastStageIdx ? 'done' : i === lastStageIdx ? 'failed' : 'todo';
            else if (i < currentIdx) state = 'done';
            else if (i === currentIdx) state = s.stage === 'ready' ? 'done' : 'active';
            const dur = started === undefined ? undefined : next !== undefined ? next - started : state === 'active' ? totalMs - started : undefined;
            return (
              <li key={s.stage} className={`stage stage-${state}`} data-stage={s.stage} data-state={state}>
                <span className="stage-icon" aria-hidden="true">
                  {state === 'done' ? '✓' : state === 'failed' ? '✗' : state === 'active' ? <span className="spinner" /> : '○'}
                </span>
                <span className="stage-label">
                  {s.label}
                  <span className="sr-only"> ({state})</span>
                </span>
                <span className="stage-time">{dur !== undefined && s.stage !== 'ready' && s.stage !== 'queued' ? fmtDuration(dur) : ''}</span>
              </li>
            );
          })}
        </ol>
        <div className="log-head">
          <h2>Output</h2>
          <span className="muted">{logLines.length} lines</span>
        </div>
        <EventLog
          label="Provisioning output"
          lines={logLines.map((e) => ({ elapsedMs: e.elapsedMs, kind: e.type, text: e.type === 'stage' ? `== ${e.message}` : e.message }))}
        />
        <div className="progress-actions">
          <a className="btn" href="#/">
            Back to scenarios
          </a>
          <button type="button" className="btn btn-danger-outline" onClick={onEnd}>
            {failed ? 'Clean up' : 'Cancel and delete'}
          </button>
        </div>
      </section>
    </main>
  );
}

function Workspace(props: {
  session: SessionView;
  grade: GradeReport | null;
  busy: string | null;
  onHint: () => void;
  onSolution: () => void;
  totalHints?: number;
}) {
  const { session } = props;
  const [split, setSplit] = useState(() => Number(localStorage.getItem('kd.split')) || 40);
  const [active, setActive] = useState(() => session.nodes[0]?.name ?? '');
  const mainRef = useRef<HTMLElement>(null);

  useEffect(() => localStorage.setItem('kd.split', String(split)), [split]);

  const drag = (e: ReactPointerEvent) => {
    const el = mainRef.current!;
    (e.target as HTMLElement).setPointerCapture(e.pointerId);
    const move = (ev: PointerEvent) => {
      const r = el.getBoundingClientRect();
      setSplit(Math.min(75, Math.max(20, ((ev.clientX - r.left) / r.width) * 100)));
    };
    const up = () => {
      window.removeEventListener('pointermove', move);
      window.removeEventListener('pointerup', up);
    };
    window.addEventListener('pointermove', move);
    window.addEventListener('pointerup', up);
  };

  return (
    <main className="workspace" ref={mainRef} style={{ gridTemplateColumns: `${split}% 6px 1fr` }}>
      <TaskPane {...props} />
      <div
        className="splitter"
        role="separator"
        aria-orientation="vertical"
        aria-label="Resize task and terminal panes"
        aria-valuenow={Math.round(split)}
        aria-valuemin={20}
        aria-valuemax={75}
        tabIndex={0}
        onPointerDown={drag}
        onKeyDown={(e) => {
          if (e.key === 'ArrowLeft') setSplit((s) => Math.max(20, s - 2));
          if (e.key === 'ArrowRight') setSplit((s) => Math.min(75, s + 2));
        }}
      />
      <section className="terminals" aria-label="Terminals">
        <TerminalTabs nodes={session.nodes} active={active} onSelect={setActive} label="Nodes" hint="Ctrl+Shift+C / V to copy / paste · right-click pastes" arrowKeys />
        {session.nodes.map((n) => (
          <TerminalPanel key={n.name} node={n.name} active={active === n.name}>
            <TerminalPane sessionId={session.id} node={n.name} active={active === n.name} />
          </TerminalPanel>
        ))}
      </section>
    </main>
  );
}

function TaskPane({ session, grade, busy, onHint, onSolution, totalHints }: Parameters<typeof Workspace>[0]) {
  const hintsLeft = totalHints === undefined ? true : session.hints.length < totalHints;
  return (
    <section className="task-pane" aria-label="Task">
      {grade && <GradePanel grade={grade} />}
      <article className="task">
        <Markdown source={session.task ?? '_The task text is not available._'} />
      </article>
      <section className="aside-block" aria-labelledby="hints-h">
        <div className="block-head">
          <h2 id="hints-h">Hints</h2>
          {totalHints !== undefined && (
            <span className="muted">
              {session.hints.length} of {totalHints} shown
            </span>
          )}
        </div>
        {session.hints.length > 0 && (
          <ol className="hints">
            {session.hints.map((h, i) => (
              <li key={i}>
                <Markdown source={h} />
              </li>
            ))}
          </ol>
        )}
        {hintsLeft && totalHints !== 0 && (
          <button type="button" className="btn btn-sm" onClick={onHint} disabled={busy !== null}>
            {busy === 'hint' ? 'Revealing…' : session.hints.length ? 'Next hint' : 'Show a hint'}
          </button>
        )}
      </section>
      <section className="aside-block" aria-labelledby="sol-h">
        <div className="block-head">
          <h2 id="sol-h">Solution</h2>
          {session.solutionViewed && <span className="badge badge-warn">viewed</span>}
        </div>
        {session.solution ? (
          <Markdown source={session.solution} className="solution" />
        ) : (
          <button type="button" className="btn btn-sm" onClick={onSolution} disabled={busy !== null}>
            Show solution…
          </button>
        )}
      </section>
    </section>
  );
}

function GradePanel({ grade }: { grade: GradeReport }) {
  const pass = grade.percent >= 100;
  return (
    <section id="results" data-graded-at={grade.gradedAt} className={`results ${pass ? 'all-pass' : ''}`} aria-labelledby="res-h" aria-live="polite">
      <div className="results-head">
        <h2 id="res-h">Result</h2>
        <span className="score" data-testid="score">
          {grade.score} / {grade.maxScore} points · <strong>{Math.round(grade.percent)}%</strong>
        </span>
      </div>
      <div className="bar" aria-hidden="true">
        <div className="bar-fill" style={{ width: `${Math.min(100, grade.percent)}%` }} />
      </div>
      <CheckResults checks={grade.checks} explainLabel="Look at" />
      <p className="muted small">Checked at {new Date(grade.gradedAt).toLocaleTimeString()} in {(grade.durationMs / 1000).toFixed(1)} s</p>
    </section>
  );
}

function Ended({ session, grade }: { session: SessionView; grade: GradeReport | null }) {
  return (
    <main className="center-msg">
      <h1>Session ended</h1>
      <p className="muted">The cluster {session.cluster} was deleted.</p>
      {grade && (
        <div className="ended-grade">
          <GradePanel grade={grade} />
        </div>
      )}
      <a className="btn btn-primary" href="#/">
        Back to scenarios
      </a>
    </main>
  );
}
