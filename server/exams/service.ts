/**
 * Mock exam runs: provision every cluster of an exam (in parallel up to a
 * concurrency limit), then a server-side clock that cannot be paused, flags
 * and a notepad, and one grading of everything at submit or time-out.
 *
 * State lives in the progress database, so a server restart resumes a
 * running exam with the same deadline: its clusters are kept through the
 * restart (registry claim with keepUntil) and re-attached at start.
 *
 *   provisioning → running → grading → finished
 *        ↘ failed / cancelled
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ClusterNode } from '../../clusters/driver.js';
import type { ClusterIdentity } from '../../graders/index.js';
import type { CheckResult, GradeReport } from '../../graders/types.js';
import { ConflictError, NotFoundError } from '../engine/types.js';
import type { ProgressStore, ExamRunRow, ExamState } from '../progress/store.js';
import type { Scenario, Step } from '../scenarios/types.js';
import { describeStep, fillPlaceholders } from '../steps/index.js';
import type { ExamClusterOps } from './cluster-ops.js';
import { ExamTimer } from './timer.js';
import type { ExamDef } from './types.js';

export const EXAM_RUN_ID = /^[a-f0-9]{12}$/;
/** Seconds one cluster takes to come up when nothing was measured yet (kind, 1 worker, on a laptop). */
export const DEFAULT_CLUSTER_SECONDS = 90;
/** How long after the deadline a kept cluster survives a stopped server (then orphan cleanup may delete it). */
export const KEEP_AFTER_DEADLINE_MS = 6 * 3600_000;
export const MAX_NOTES = 10_000;

export interface ClaimRegistry {
  claim(cluster: string, opts?: { keepUntil?: string; holder?: string }): Promise<void>;
  release(cluster: string): void;
}

export interface ExamServiceOptions {
  ops: ExamClusterOps;
  store: ProgressStore;
  scenarios: Map<string, Scenario>;
  exams: ExamDef[];
  registry?: ClaimRegistry;
  /** Clusters created at once (default 2, env KUBEDRILL_EXAM_CONCURRENCY). */
  concurrency?: number;
  log?: (line: string) => void;
  now?: () => number;
}

export interface ExamEvent {
  runId: string;
  at: string;
  elapsedMs: number;
  type: 'state' | 'cluster' | 'log' | 'error' | 'alert';
  state?: ExamState;
  cluster?: string;
  clusterStage?: string;
  minutesLeft?: number;
  message: string;
}

export interface ExamSummary {
  id: string;
  title: string;
  description?: string;
  timeLimitMinutes: number;
  passPercent: number;
  clusters: Array<{ name: string; workers: number; tasks: number }>;
  tasks: Array<{ scenarioId: string; title: string; domain: string; cluster: string; weight: number }>;
  /** Up-front estimate of the setup time. */
  estimateSeconds: number;
  perClusterSeconds: number;
  concurrency: number;
  measured: boolean;
}

interface RunCluster {
  name: string;
  kindName: string;
  workers: number;
  state: 'queued' | 'provisioning' | 'preparing' | 'injecting' | 'ready' | 'failed' | 'missing' | 'deleted';
  nodes: ClusterNode[];
  identity?: ClusterIdentity;
  error?: string;
  seconds?: number;
}

interface RunTask {
  index: number;
  scenario: Scenario;
  cluster: string;
  weight: number;
  flagged: boolean;
}

interface Run {
  id: string;
  def: ExamDef;
  state: ExamState;
  createdAt: string;
  startedAt?: string;
  deadlineMs?: number;
  clusters: RunCluster[];
  tasks: RunTask[];
  notes: string;
  alertsFired: number[];
  events: ExamEvent[];
  listeners: Set<(e: ExamEvent) => void>;
  t0: number;
  abort: AbortController;
  timer?: ExamTimer;
  busy?: Promise<unknown>;
  ownerHash: string;
  endReason?: string;
  error?: string;
  results?: ExamResults;
}

export interface TaskResult {
  index: number;
  scenarioId: string;
  title: string;
  domain: string;
  cluster: string;
  weight: number;
  score: number;
  maxScore: number;
  percent: number;
  /** weight × fraction of points earned. */
  weightedScore: number;
  flagged: boolean;
  checks: CheckResult[];
  solution: string;
  error?: string;
}

export interface ExamResults {
  totalPercent: number;
  passPercent: number;
  passed: boolean;
  endReason: string;
  gradedAt: string;
  /** Seconds from start to submit/time-out. */
  secondsUsed: number;
  tasks: TaskResult[];
  domains: Array<{ domain: string; percent: number; weight: number; tasks: number }>;
}

export interface ExamRunView {
  id: string;
  examId: string;
  title: string;
  state: ExamState;
  createdAt: string;
  startedAt?: string;
  deadlineAt?: string;
  /** The server's clock when this view was made: the browser counts down from deadlineAt − serverNow. */
  serverNow: string;
  remainingMs?: number;
  timeLimitSeconds: number;
  passPercent: number;
  estimateSeconds: number;
  clusters: Array<{ name: string; kindName: string; workers: number; state: string; nodes: ClusterNode[]; error?: string; seconds?: number }>;
  tasks: Array<{ index: number; scenarioId: string; title: string; domain: string; weight: number; cluster: string; flagged: boolean; text?: string }>;
  notes: string;
  alertsFired: number[];
  endReason?: string;
  error?: string;
  results?: ExamResults;
}

const MAX_EVENTS = 2000;

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

function describeSolution(s: Scenario, vars: { cluster: string; nodes: Record<string, string> }): string {
  let steps = s.solution;
  try {
    steps = fillPlaceholders(s.solution, vars);
  } catch {
    /* keep the unfilled text */
  }
  return steps.map((step, i) => solutionStep(step, i + 1)).join('\n\n');
}

/** One solution step as Markdown a learner can follow: what, where, and the commands or manifest. */
export function solutionStep(step: Step, n: number): string {
  const st = step as unknown as Record<string, Record<string, unknown>>;
  const title = `**${n}. ${step.name ?? describeStep(step)}**`;
  const fence = (lang: string, body: string) => `\n\n\`\`\`${lang}\n${body.trimEnd()}\n\`\`\``;
  if (st.run) return `${title} — on node \`${st.run.node}\`:${fence('bash', String(st.run.script))}`;
  if (st.apply) return `${title} — apply:${fence('yaml', String(st.apply.manifest))}`;
  if (st.systemd) return `${title} — on node \`${st.systemd.node}\`:${fence('bash', (st.systemd.actions as string[]).map((a) => `systemctl ${a} ${st.systemd!.unit}`).join('\n'))}`;
  if (st.patch) {
    const p = st.patch;
    return `${title}:${fence('bash', `kubectl patch ${p.kind} ${p.name}${p.namespace ? ` -n ${p.namespace}` : ''} --type ${p.type ?? 'merge'} -p '${JSON.stringify(p.patch)}'`)}`;
  }
  if (st.delete) return `${title}:${fence('bash', `kubectl delete ${st.delete.kind} ${st.delete.name}${st.delete.namespace ? ` -n ${st.delete.namespace}` : ''}`)}`;
  if (st.wait) {
    const f = st.wait.for as Record<string, unknown>;
    return `${title} — then wait until ${typeof f.description === 'string' ? f.description : 'the change has taken effect'}.`;
  }
  return title;
}

export class ExamService {
  private readonly runs = new Map<string, Run>();
  private readonly defs = new Map<string, ExamDef>();
  private readonly log: (l: string) => void;
  private readonly now: () => number;
  readonly concurrency: number;

  constructor(private readonly o: ExamServiceOptions) {
    for (const e of o.exams) this.defs.set(e.id, e);
    this.log = o.log ?? (() => {});
    this.now = o.now ?? Date.now;
    const env = Number(process.env.KUBEDRILL_EXAM_CONCURRENCY);
    this.concurrency = Math.max(1, Math.floor(o.concurrency ?? (Number.isFinite(env) && env > 0 ? env : 2)));
  }

  private iso(ms = this.now()): string {
    return new Date(ms).toISOString();
  }

  // ---- catalogue -------------------------------------------------------------------

  estimate(def: ExamDef): { estimateSeconds: number; perClusterSeconds: number; measured: boolean } {
    const measured = this.o.store.averageProvisionSeconds();
    const per = Math.round(measured ?? DEFAULT_CLUSTER_SECONDS);
    const waves = Math.ceil(def.clusters.length / this.concurrency);
    // Parallel bring-ups share the CPU: each extra cluster in a wave costs ~30 %.
    const perWave = per * (1 + 0.3 * (Math.min(this.concurrency, def.clusters.length) - 1));
    return { estimateSeconds: Math.round(waves * perWave), perClusterSeconds: per, measured: measured !== undefined };
  }

  list(): ExamSummary[] {
    return [...this.defs.values()].map((d) => ({
      id: d.id,
      title: d.title,
      description: d.description,
      timeLimitMinutes: d.timeLimitMinutes,
      passPercent: d.passPercent,
      clusters: d.clusters.map((c) => ({ name: c.name, workers: c.workers, tasks: d.tasks.filter((t) => t.cluster === c.name).length })),
      tasks: d.tasks.map((t) => {
        const s = this.o.scenarios.get(t.scenario);
        return { scenarioId: t.scenario, title: s?.title ?? t.scenario, domain: s?.domain ?? 'troubleshooting', cluster: t.cluster, weight: t.weight };
      }),
      concurrency: this.concurrency,
      ...this.estimate(d),
    }));
  }

  // ---- runs ------------------------------------------------------------------------------

  /** Starts an exam: returns the run and the owner token (shown once; only its hash is stored). */
  start(examId: string): { run: ExamRunView; ownerToken: string } {
    const def = this.defs.get(examId);
    if (!def) throw new NotFoundError(`unknown exam "${examId}"`);
    const busy = [...this.runs.values()].find((r) => r.state === 'provisioning' || r.state === 'running' || r.state === 'grading');
    if (busy) throw new ConflictError(`exam run ${busy.id} (${busy.def.title}) is still ${busy.state}; submit or cancel it first`);
    const id = randomBytes(6).toString('hex');
    const token = randomBytes(32).toString('base64url');
    const run: Run = {
      id,
      def,
      state: 'provisioning',
      createdAt: this.iso(),
      clusters: def.clusters.map((c) => ({ name: c.name, kindName: `kd-x${id.slice(0, 6)}-${c.name}`, workers: c.workers, state: 'queued', nodes: [] })),
      tasks: def.tasks.map((t, index) => ({ index, scenario: this.o.scenarios.get(t.scenario)!, cluster: t.cluster, weight: t.weight, flagged: false })),
      notes: '',
      alertsFired: [],
      events: [],
      listeners: new Set(),
      t0: this.now(),
      abort: new AbortController(),
      ownerHash: hashToken(token),
    };
    const missing = run.tasks.find((t) => !t.scenario);
    if (missing) throw new NotFoundError(`exam "${examId}" uses scenario "${def.tasks[missing.index]!.scenario}", which is not loaded`);
    this.o.store.createExamRun({
      id,
      examId,
      title: def.title,
      timeLimitSeconds: def.timeLimitMinutes * 60,
      passPercent: def.passPercent,
      ownerHash: run.ownerHash,
      definition: def,
      tasks: run.tasks.map((t) => ({ scenarioId: t.scenario.id, clusterName: t.cluster, weight: t.weight, domain: t.scenario.domain })),
    });
    this.runs.set(id, run);
    const est = this.estimate(def);
    this.emit(run, {
      type: 'state',
      state: 'provisioning',
      message: `provisioning ${def.clusters.length} cluster(s), ${this.concurrency} at a time: about ${Math.ceil(est.estimateSeconds / 60)} min`,
    });
    run.busy = this.provision(run);
    return { run: this.view(id), ownerToken: token };
  }

  verifyOwner(runId: string, token: string | undefined): boolean {
    const hash = this.runs.get(runId)?.ownerHash ?? this.o.store.getExamRun(runId)?.ownerHash;
    if (!hash || !token || token.length > 200) return false;
    return timingSafeEqual(Buffer.from(hash, 'hex'), Buffer.from(hashToken(token), 'hex'));
  }

  private run(id: string): Run {
    const r = EXAM_RUN_ID.test(id) ? this.runs.get(id) : undefined;
    if (!r) throw new NotFoundError(`unknown exam run "${id}"`);
    return r;
  }

  has(id: string): boolean {
    return EXAM_RUN_ID.test(id) && (this.runs.has(id) || this.o.store.getExamRun(id) !== undefined);
  }

  /** Every run in the database, newest first (finished ones come from the database). */
  runIds(): string[] {
    return this.o.store.examRuns().map((r) => r.id);
  }

  view(id: string): ExamRunView {
    if (!EXAM_RUN_ID.test(id)) throw new NotFoundError(`unknown exam run "${id}"`);
    const r = this.runs.get(id);
    if (!r) {
      const row = this.o.store.getExamRun(id);
      if (!row) throw new NotFoundError(`unknown exam run "${id}"`);
      return this.viewOfRow(row);
    }
    const t = this.now();
    const showText = r.state !== 'provisioning' && r.state !== 'failed' && r.state !== 'cancelled';
    return {
      id: r.id,
      examId: r.def.id,
      title: r.def.title,
      state: r.state,
      createdAt: r.createdAt,
      startedAt: r.startedAt,
      deadlineAt: r.deadlineMs !== undefined ? this.iso(r.deadlineMs) : undefined,
      serverNow: this.iso(t),
      remainingMs: r.deadlineMs !== undefined && r.state === 'running' ? Math.max(0, r.deadlineMs - t) : undefined,
      timeLimitSeconds: r.def.timeLimitMinutes * 60,
      passPercent: r.def.passPercent,
      estimateSeconds: this.estimate(r.def).estimateSeconds,
      clusters: r.clusters.map((c) => ({ name: c.name, kindName: c.kindName, workers: c.workers, state: c.state, nodes: c.nodes, error: c.error, seconds: c.seconds })),
      tasks: r.tasks.map((task) => ({
        index: task.index,
        scenarioId: task.scenario.id,
        title: task.scenario.title,
        domain: task.scenario.domain,
        weight: task.weight,
        cluster: task.cluster,
        flagged: task.flagged,
        text: showText ? this.taskText(r, task) : undefined,
      })),
      notes: r.notes,
      alertsFired: [...r.alertsFired],
      endReason: r.endReason,
      error: r.error,
      results: r.results,
    };
  }

  private viewOfRow(row: ExamRunRow): ExamRunView {
    const def = row.definition as ExamDef;
    const tasks = this.o.store.examTasks(row.id);
    const clusters = (row.clusters as Array<RunCluster>) ?? [];
    return {
      id: row.id,
      examId: row.examId,
      title: row.title,
      state: row.state,
      createdAt: row.createdAt,
      startedAt: row.startedAt ?? undefined,
      deadlineAt: row.deadlineAt ?? undefined,
      serverNow: this.iso(),
      timeLimitSeconds: row.timeLimitSeconds,
      passPercent: row.passPercent,
      estimateSeconds: def ? this.estimate(def).estimateSeconds : 0,
      clusters: clusters.map((c) => ({ name: c.name, kindName: c.kindName, workers: c.workers, state: c.state, nodes: c.nodes ?? [], error: c.error })),
      tasks: tasks.map((t) => ({
        index: t.idx,
        scenarioId: t.scenarioId,
        title: this.o.scenarios.get(t.scenarioId)?.title ?? t.scenarioId,
        domain: t.domain,
        weight: t.weight,
        cluster: t.clusterName,
        flagged: t.flagged,
      })),
      notes: row.notes,
      alertsFired: row.alertsFired,
      endReason: row.endReason ?? undefined,
      error: row.error ?? undefined,
      results: (row.results as ExamResults | null) ?? undefined,
    };
  }

  private taskText(r: Run, task: RunTask): string {
    const c = r.clusters.find((x) => x.name === task.cluster)!;
    const vars = { cluster: c.kindName, nodes: Object.fromEntries(c.nodes.map((n) => [n.alias, n.name])) };
    let body = task.scenario.task;
    try {
      body = fillPlaceholders(task.scenario.task, vars);
    } catch {
      /* nodes not known yet */
    }
    const where = `> **Cluster ${task.cluster}** · nodes ${c.nodes.map((n) => `\`${n.name}\``).join(', ') || '(starting)'} · weight ${task.weight}\n\n`;
    return where + body;
  }

  subscribe(id: string, listener: (e: ExamEvent) => void): () => void {
    const r = this.run(id);
    r.listeners.add(listener);
    return () => r.listeners.delete(listener);
  }

  history(id: string): ExamEvent[] {
    const r = this.runs.get(id);
    return r ? [...r.events] : [];
  }

  setFlag(id: string, index: number, flagged: boolean): ExamRunView {
    const r = this.requireRunning(id, 'flag a task');
    const task = r.tasks[index];
    if (!task) throw new NotFoundError(`exam run ${id} has no task ${index + 1} (it has ${r.tasks.length})`);
    task.flagged = flagged;
    this.o.store.setTaskFlag(id, index, flagged);
    return this.view(id);
  }

  setNotes(id: string, notes: string): ExamRunView {
    const r = this.requireRunning(id, 'edit the notepad');
    if (notes.length > MAX_NOTES) throw new ConflictError(`notes are limited to ${MAX_NOTES} characters`);
    r.notes = notes;
    this.o.store.updateExamRun(id, { notes });
    return this.view(id);
  }

  /** Submits the exam: grades everything once, stores the results, deletes the clusters. */
  async submit(id: string): Promise<ExamRunView> {
    const r = this.requireRunning(id, 'submit');
    await this.finish(r, 'submitted');
    return this.view(id);
  }

  /** Cancels an exam that is provisioning or failed (deletes its clusters); a running exam is submitted instead. */
  async cancel(id: string): Promise<ExamRunView> {
    const r = this.run(id);
    if (r.state === 'running' || r.state === 'grading') throw new ConflictError(`exam run ${id} is ${r.state}: submit it instead`);
    if (r.state === 'provisioning') {
      r.abort.abort();
      this.setState(r, 'cancelled', 'cancelled by the learner');
      await r.busy?.catch(() => {});
    }
    await this.deleteClusters(r);
    return this.view(id);
  }

  shell(id: string, nodeName: string): { file: string; args: string[] } {
    const r = this.run(id);
    const node = r.clusters.flatMap((c) => c.nodes).find((n) => n.name === nodeName);
    if (!node) throw new NotFoundError(`node "${nodeName}" is not part of exam run ${id}`);
    if (r.state !== 'running') throw new ConflictError(`exam run ${id} is ${r.state}; terminals work while it is running`);
    return this.o.ops.shell(node.name);
  }

  /** Node names of a running exam (for terminal requests). */
  nodesOf(id: string): string[] {
    const r = this.runs.get(id);
    return r ? r.clusters.flatMap((c) => c.nodes.map((n) => n.name)) : [];
  }

  /**
   * The exam under way (provisioning or running: not yet submitted or timed
   * out) with this scenario among its tasks. Running exams are always in
   * memory (resume() loads them at start).
   */
  activeRunWith(scenarioId: string): { id: string; title: string } | undefined {
    const r = [...this.runs.values()].find((r) => (r.state === 'provisioning' || r.state === 'running') && r.tasks.some((t) => t.scenario.id === scenarioId));
    return r && { id: r.id, title: r.def.title };
  }

  stateOf(id: string): ExamState | undefined {
    return this.runs.get(id)?.state ?? this.o.store.getExamRun(id)?.state;
  }

  private requireRunning(id: string, what: string): Run {
    const r = this.run(id);
    if (r.state !== 'running') throw new ConflictError(`cannot ${what}: exam run ${id} is ${r.state}`);
    return r;
  }

  // ---- provisioning ------------------------------------------------------------------------

  private async provision(r: Run): Promise<void> {
    const queue = [...r.clusters];
    let failed: Error | undefined;
    const worker = async () => {
      for (let c = queue.shift(); c; c = queue.shift()) {
        if (failed || r.abort.signal.aborted) return;
        try {
          await this.bringUpCluster(r, c);
        } catch (e) {
          failed ??= e as Error;
          r.abort.abort(); // stop the others: the exam cannot start without every cluster
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, r.clusters.length) }, worker));
    if (r.state !== 'provisioning') return; // cancelled meanwhile
    if (failed) {
      r.error = failed.message;
      this.o.store.updateExamRun(r.id, { error: failed.message });
      this.emit(r, { type: 'error', message: failed.message });
      this.setState(r, 'failed', `setting up the clusters failed: ${failed.message}`);
      await this.deleteClusters(r);
      return;
    }
    await this.startClock(r);
  }

  private async bringUpCluster(r: Run, c: RunCluster): Promise<void> {
    const t0 = this.now();
    await this.o.registry?.claim(c.kindName, { holder: `exam:${r.id}` });
    const setStage = (s: string) => {
      const st = (['provisioning', 'preparing', 'injecting'].includes(s) ? s : c.state) as RunCluster['state'];
      if (st === c.state) return;
      c.state = st;
      this.emit(r, { type: 'cluster', cluster: c.name, clusterStage: st, message: `cluster ${c.name}: ${st}` });
    };
    setStage('provisioning');
    try {
      const scenarios = r.tasks.filter((t) => t.cluster === c.name).map((t) => t.scenario);
      const up = await this.o.ops.bringUp(
        { kindName: c.kindName, workers: c.workers, scenarios },
        (line) => this.emit(r, { type: 'log', cluster: c.name, message: `[${c.name}] ${line}` }),
        setStage,
        r.abort.signal,
      );
      c.nodes = up.nodes;
      c.identity = up.identity;
      c.seconds = Math.round((this.now() - t0) / 1000);
      c.state = 'ready';
      this.emit(r, { type: 'cluster', cluster: c.name, clusterStage: 'ready', message: `cluster ${c.name} ready in ${c.seconds}s` });
      this.o.store.recordProvisionTiming(c.seconds, c.workers);
    } catch (e) {
      c.state = 'failed';
      c.error = (e as Error).message;
      this.emit(r, { type: 'cluster', cluster: c.name, clusterStage: 'failed', message: `cluster ${c.name} failed: ${c.error}` });
      throw e;
    }
  }

  private clusterRecord(r: Run): unknown {
    return r.clusters.map((c) => ({ name: c.name, kindName: c.kindName, workers: c.workers, state: c.state, nodes: c.nodes, identity: c.identity, error: c.error }));
  }

  private async startClock(r: Run): Promise<void> {
    const start = this.now();
    r.startedAt = this.iso(start);
    r.deadlineMs = start + Math.round(r.def.timeLimitMinutes * 60_000);
    const deadlineAt = this.iso(r.deadlineMs);
    for (const task of r.tasks) {
      const attemptId = this.o.store.startAttempt({ mode: 'exam', scenarioId: task.scenario.id, domain: task.scenario.domain, examRunId: r.id, taskIndex: task.index, startedAt: r.startedAt });
      this.o.store.setTaskAttempt(r.id, task.index, attemptId);
    }
    this.o.store.updateExamRun(r.id, { state: 'running', startedAt: r.startedAt, deadlineAt, clusters: this.clusterRecord(r) });
    await this.keepClusters(r);
    this.setState(r, 'running', `the exam has started: ${r.def.timeLimitMinutes} minutes, until ${deadlineAt}`, false);
    this.startTimer(r);
  }

  private async keepClusters(r: Run): Promise<void> {
    const keepUntil = this.iso((r.deadlineMs ?? this.now()) + KEEP_AFTER_DEADLINE_MS);
    for (const c of r.clusters) await this.o.registry?.claim(c.kindName, { holder: `exam:${r.id}`, keepUntil });
  }

  private startTimer(r: Run): void {
    r.timer?.stop();
    r.timer = new ExamTimer(
      r.deadlineMs!,
      r.def.timeLimitMinutes * 60,
      r.alertsFired,
      {
        onAlert: (minutes, leftMs) => {
          r.alertsFired = [...r.timer!.fired];
          this.o.store.updateExamRun(r.id, { alertsFired: r.alertsFired });
          this.emit(r, { type: 'alert', minutesLeft: minutes, message: `${Math.max(1, Math.round(leftMs / 60_000))} minutes left` });
        },
        onExpire: () => {
          this.emit(r, { type: 'log', message: 'time is up: the exam is graded now' });
          r.busy = this.finish(r, 'timeout').catch((e) => this.log(`exam ${r.id}: grading failed: ${(e as Error).message}`));
        },
      },
      this.now,
    );
    r.timer.start();
  }

  // ---- grading -----------------------------------------------------------------------------

  private async finish(r: Run, reason: 'submitted' | 'timeout' | 'timeout-while-stopped' | 'clusters-lost'): Promise<void> {
    if (r.state !== 'running') return;
    r.timer?.stop();
    r.endReason = reason;
    const endedMs = Math.min(this.now(), r.deadlineMs ?? this.now());
    this.setState(r, 'grading', reason === 'submitted' ? 'submitted: grading every task once' : 'time is up: grading every task once');
    this.o.store.updateExamRun(r.id, { state: 'grading', endReason: reason, endedAt: this.iso(endedMs) });

    const byCluster = new Map<string, RunTask[]>();
    for (const t of r.tasks) byCluster.set(t.cluster, [...(byCluster.get(t.cluster) ?? []), t]);
    const reports = new Map<number, { report: GradeReport; error?: string }>();
    await Promise.all(
      [...byCluster].map(async ([name, tasks]) => {
        const c = r.clusters.find((x) => x.name === name)!;
        for (const t of tasks) {
          try {
            if (c.state === 'missing') throw new Error(`cluster ${c.name} (${c.kindName}) no longer exists`);
            reports.set(t.index, { report: await this.o.ops.grade({ kindName: c.kindName, nodes: c.nodes, identity: c.identity }, t.scenario) });
          } catch (e) {
            const msg = (e as Error).message;
            reports.set(t.index, {
              error: msg,
              report: {
                scenarioId: t.scenario.id,
                score: 0,
                maxScore: t.scenario.checks.reduce((s, ch) => s + ch.points, 0),
                percent: 0,
                checks: t.scenario.checks.map((ch) => ({ id: ch.id, description: ch.description, points: 0, maxPoints: ch.points, passed: false, error: `not graded: ${msg}` })),
                gradedAt: this.iso(),
                durationMs: 0,
              },
            });
          }
        }
      }),
    );

    const taskResults: TaskResult[] = r.tasks.map((t) => {
      const { report, error } = reports.get(t.index)!;
      const c = r.clusters.find((x) => x.name === t.cluster)!;
      const vars = { cluster: c.kindName, nodes: Object.fromEntries(c.nodes.map((n) => [n.alias, n.name])) };
      const fraction = report.maxScore ? report.score / report.maxScore : 0;
      return {
        index: t.index,
        scenarioId: t.scenario.id,
        title: t.scenario.title,
        domain: t.scenario.domain,
        cluster: t.cluster,
        weight: t.weight,
        score: report.score,
        maxScore: report.maxScore,
        percent: report.percent,
        weightedScore: Math.round(t.weight * fraction * 100) / 100,
        flagged: t.flagged,
        checks: report.checks,
        solution: describeSolution(t.scenario, vars),
        error,
      };
    });
    const results = computeResults(taskResults, r.def.passPercent, reason, this.iso(), Math.round((endedMs - Date.parse(r.startedAt!)) / 1000));

    for (const tr of taskResults) {
      const attemptId = this.o.store.examTasks(r.id)[tr.index]?.attemptId;
      if (attemptId) {
        this.o.store.recordGrade(attemptId, reports.get(tr.index)!.report);
        this.o.store.endAttempt(attemptId, { endedAt: this.iso(endedMs) });
      }
      this.o.store.setTaskResult(r.id, tr.index, tr);
    }
    r.results = results;
    this.o.store.updateExamRun(r.id, { state: 'finished', totalPercent: results.totalPercent, passed: results.passed, results });
    this.setState(r, 'finished', `result: ${results.totalPercent}% (${results.passed ? 'pass' : 'fail'}, pass mark ${results.passPercent}%)`, false);
    await this.deleteClusters(r);
  }

  private async deleteClusters(r: Run): Promise<void> {
    await Promise.all(
      r.clusters.map(async (c) => {
        if (c.state === 'deleted') return;
        try {
          if (c.state !== 'missing') await this.o.ops.delete(c.kindName);
          c.state = 'deleted';
          this.emit(r, { type: 'cluster', cluster: c.name, clusterStage: 'deleted', message: `deleted cluster ${c.kindName}` });
        } catch (e) {
          this.emit(r, { type: 'error', message: `deleting ${c.kindName}: ${(e as Error).message}` });
        }
        this.o.registry?.release(c.kindName);
      }),
    );
    this.o.store.updateExamRun(r.id, { clusters: this.clusterRecord(r) });
  }

  // ---- restart -----------------------------------------------------------------------------

  /**
   * Re-attaches exams found running in the database (after a restart):
   * same deadline; graded at once if it passed meanwhile. Exams caught
   * provisioning are marked failed (their clusters are orphans).
   */
  async resume(): Promise<string[]> {
    const resumed: string[] = [];
    for (const row of this.o.store.examRuns({ states: ['provisioning', 'running', 'grading'] })) {
      if (this.runs.has(row.id)) continue;
      const def = row.definition as ExamDef;
      if (row.state === 'provisioning' || !row.deadlineAt || !def) {
        this.o.store.updateExamRun(row.id, { state: 'failed', error: 'the server stopped while the clusters were being set up' });
        for (const c of (row.clusters as RunCluster[]) ?? []) await this.o.ops.delete(c.kindName).catch(() => {});
        continue;
      }
      const tasks = this.o.store.examTasks(row.id);
      const run: Run = {
        id: row.id,
        def,
        state: 'running',
        createdAt: row.createdAt,
        startedAt: row.startedAt ?? undefined,
        deadlineMs: Date.parse(row.deadlineAt),
        clusters: (row.clusters as RunCluster[]).map((c) => ({ ...c, state: 'ready' })),
        tasks: tasks.map((t) => ({ index: t.idx, scenario: this.o.scenarios.get(t.scenarioId)!, cluster: t.clusterName, weight: t.weight, flagged: t.flagged })),
        notes: row.notes,
        alertsFired: row.alertsFired,
        events: [],
        listeners: new Set(),
        t0: Date.parse(row.createdAt),
        abort: new AbortController(),
        ownerHash: row.ownerHash,
      };
      const lost = run.tasks.find((t) => !t.scenario);
      if (lost) {
        this.o.store.updateExamRun(row.id, { state: 'failed', error: `scenario of task ${lost.index + 1} is no longer loaded` });
        continue;
      }
      this.runs.set(run.id, run);
      for (const c of run.clusters) if (!(await this.o.ops.exists(c.kindName).catch(() => false))) c.state = 'missing';
      await this.keepClusters(run);
      this.emit(run, { type: 'log', message: 'the server restarted: exam resumed with the same deadline' });
      resumed.push(run.id);
      if (run.clusters.some((c) => c.state === 'missing')) {
        this.emit(run, { type: 'error', message: `cluster(s) ${run.clusters.filter((c) => c.state === 'missing').map((c) => c.kindName).join(', ')} disappeared during the restart` });
        run.busy = this.finish(run, 'clusters-lost');
      } else if (row.state === 'grading' || run.deadlineMs! <= this.now()) {
        run.busy = this.finish(run, 'timeout-while-stopped');
      } else this.startTimer(run);
    }
    return resumed;
  }

  /** Wait for background work of a run (tests). */
  async settle(id: string): Promise<void> {
    await this.runs.get(id)?.busy;
  }

  /**
   * Server stop: running exams keep their clusters and resume at the next
   * start; exams still provisioning are cancelled and their clusters deleted.
   */
  async shutdown(): Promise<void> {
    await Promise.all(
      [...this.runs.values()].map(async (r) => {
        r.timer?.stop();
        if (r.state === 'provisioning') {
          r.abort.abort();
          this.setState(r, 'cancelled', 'the server stopped during setup');
          await r.busy?.catch(() => {});
          await this.deleteClusters(r);
        } else if (r.state === 'grading') await r.busy?.catch(() => {});
      }),
    );
  }

  // ---- events ----------------------------------------------------------------------------------

  private setState(r: Run, state: ExamState, message: string, persist = true): void {
    r.state = state;
    if (persist) this.o.store.updateExamRun(r.id, { state });
    this.emit(r, { type: 'state', state, message });
  }

  private emit(r: Run, e: Omit<ExamEvent, 'runId' | 'at' | 'elapsedMs'>): void {
    const t = this.now();
    const event: ExamEvent = { runId: r.id, at: this.iso(t), elapsedMs: t - r.t0, ...e };
    r.events.push(event);
    if (r.events.length > MAX_EVENTS) r.events.splice(0, r.events.length - MAX_EVENTS);
    if (e.type !== 'log' || process.env.KUBEDRILL_VERBOSE) this.log(`[exam ${r.id}] ${e.message}`);
    for (const l of r.listeners) {
      try {
        l(event);
      } catch {
        /* a broken subscriber must not stop the exam */
      }
    }
  }
}

/** Total (weighted), per-domain (weighted within the domain) and pass/fail. */
export function computeResults(tasks: TaskResult[], passPercent: number, endReason: string, gradedAt: string, secondsUsed: number): ExamResults {
  const totalWeight = tasks.reduce((s, t) => s + t.weight, 0);
  const earned = tasks.reduce((s, t) => s + t.weight * (t.maxScore ? t.score / t.maxScore : 0), 0);
  const totalPercent = totalWeight ? Math.round((earned / totalWeight) * 1000) / 10 : 0;
  const domains = new Map<string, { w: number; e: number; n: number }>();
  for (const t of tasks) {
    const d = domains.get(t.domain) ?? { w: 0, e: 0, n: 0 };
    d.w += t.weight;
    d.e += t.weight * (t.maxScore ? t.score / t.maxScore : 0);
    d.n += 1;
    domains.set(t.domain, d);
  }
  return {
    totalPercent,
    passPercent,
    passed: totalPercent >= passPercent,
    endReason,
    gradedAt,
    secondsUsed,
    tasks,
    domains: [...domains].map(([domain, d]) => ({ domain, percent: d.w ? Math.round((d.e / d.w) * 1000) / 10 : 0, weight: d.w, tasks: d.n })),
  };
}
