/**
 * The engine: scenarios, sessions and their events around the lifecycle in
 * lifecycle.ts. One session = one learner working one scenario on one
 * cluster of its own.
 */
import { randomBytes } from 'node:crypto';
import type { ClusterDriver, ClusterNode } from '../../clusters/driver.js';
import { KindDockerDriver } from '../../clusters/kind-docker.js';
import type { GradeReport } from '../../graders/types.js';
import { loadPack } from '../scenarios/loader.js';
import type { Scenario } from '../scenarios/types.js';
import { fillPlaceholders } from '../steps/index.js';
import { applySolution, bringUp, gradeCluster, teardown, type LifecycleContext } from './lifecycle.js';
import { nodeImageForScenario, resolveNodeImage } from './node-image.js';
import { solutionMarkdown } from './solution-text.js';
import { ClusterRegistry } from './registry.js';
import {
  ConflictError,
  NotFoundError,
  type EngineApi,
  type ScenarioSummary,
  type SessionEvent,
  type SessionInfo,
  type Stage,
} from './types.js';

export interface EngineLimits {
  /** Sessions with a cluster at once (all but ended and failed ones; default 2): each is a kind cluster. */
  maxSessions?: number;
  /** How long an ended session stays in memory (its page and events) before it is dropped; default 10 minutes. */
  endedRetentionMs?: number;
  /** Ended sessions kept at most (the oldest are dropped first); default 20. */
  maxEndedKept?: number;
}

export interface EngineOptions extends EngineLimits {
  packs: string[];
  log?: (line: string) => void;
  driver?: ClusterDriver;
  nodeImage?: string;
  /** Delete orphaned Kubedrill clusters at start (default true). */
  cleanOrphans?: boolean;
}

interface Session {
  info: SessionInfo;
  scenario: Scenario;
  ctx: LifecycleContext;
  events: SessionEvent[];
  listeners: Set<(e: SessionEvent) => void>;
  started: number;
  endedAt?: number;
  abort: AbortController;
  busy?: Promise<unknown>;
  /** Deleting the cluster of a failed bring-up; reset and end wait for it. */
  cleanup?: Promise<void>;
}

const MAX_EVENTS = 2000;
export const DEFAULT_MAX_SESSIONS = 2;
export const SESSION_ID = /^[a-f0-9]{12}$/;

export class Engine implements EngineApi {
  readonly scenarios = new Map<string, Scenario>();
  private readonly sessions = new Map<string, Session>();
  private readonly log: (line: string) => void;
  readonly maxSessions: number;
  private readonly endedRetentionMs: number;
  private readonly maxEndedKept: number;

  constructor(
    readonly driver: ClusterDriver,
    readonly nodeImage: string,
    readonly registry: ClusterRegistry,
    scenarios: Scenario[],
    log?: (line: string) => void,
    limits: EngineLimits = {},
  ) {
    this.log = log ?? (() => {});
    for (const s of scenarios) this.scenarios.set(s.id, s);
    this.maxSessions = Math.max(1, Math.floor(limits.maxSessions ?? DEFAULT_MAX_SESSIONS));
    this.endedRetentionMs = limits.endedRetentionMs ?? 10 * 60_000;
    this.maxEndedKept = limits.maxEndedKept ?? 20;
  }

  listScenarios(): ScenarioSummary[] {
    return [...this.scenarios.values()].map((s) => ({
      id: s.id,
      pack: s.pack ?? 'core',
      title: s.title,
      domain: s.domain,
      difficulty: s.difficulty,
      minutes: s.minutes,
      summary: s.summary,
      workers: s.cluster.workers,
      hintCount: s.hints.length,
    }));
  }

  scenario(id: string): Scenario {
    const s = this.scenarios.get(id);
    if (!s) throw new NotFoundError(`unknown scenario "${id}"`);
    return s;
  }

  startSession(scenarioId: string): SessionInfo {
    const scenario = this.scenario(scenarioId);
    this.dropEnded();
    this.requireCapacity();
    const id = randomBytes(6).toString('hex');
    const cluster = `kd-${id.slice(0, 8)}`;
    const abort = new AbortController();
    const session: Session = {
      scenario,
      events: [],
      listeners: new Set(),
      started: Date.now(),
      abort,
      info: {
        id,
        scenarioId,
        cluster,
        stage: 'queued',
        createdAt: new Date().toISOString(),
        nodes: [],
        hintsRevealed: 0,
        solutionViewed: false,
        timings: {},
      },
      ctx: undefined as unknown as LifecycleContext,
    };
    session.ctx = {
      driver: this.driver,
      scenario,
      cluster,
      nodeImage: this.nodeImage,
      nodes: [],
      signal: abort.signal,
      log: (line) => this.emit(session, { type: 'log', message: line }),
      // Once end() has begun, only end() moves the stage on.
      stage: (stage) => {
        if (!abort.signal.aborted) this.setStage(session, stage);
      },
    };
    this.sessions.set(id, session);
    this.emit(session, { type: 'log', message: `session ${id}: scenario ${scenarioId} on cluster ${cluster} (${this.nodeImage})` });
    session.busy = this.bringUp(session);
    return this.getSession(id);
  }

  /**
   * Provisions the session's cluster (start and reset). If end() runs
   * meanwhile it stops quietly: end() waits for it (busy), then deletes the
   * cluster and releases the claim; the stage stays end()'s.
   */
  private async bringUp(session: Session): Promise<void> {
    const t0 = Date.now();
    try {
      await this.registry.claim(session.info.cluster);
      session.ctx.nodeImage = await nodeImageForScenario(this.driver, session.scenario, this.nodeImage);
      await bringUp(session.ctx); // throws "cancelled" between actions once aborted
      if (this.ending(session)) return;
      session.info.nodes = session.ctx.nodes;
      session.info.task = fillPlaceholders(session.scenario.task, this.placeholders(session.ctx));
      session.info.readyAt = new Date().toISOString();
      session.info.timings.ready = Date.now() - t0;
      this.setStage(session, 'ready');
    } catch (e) {
      if (this.ending(session)) return; // cancelled by end(): not a failure
      this.fail(session, e);
    }
  }

  /** end() has begun: background work stops and leaves the stage alone. */
  private ending(s: Session): boolean {
    return s.abort.signal.aborted;
  }

  private placeholders(ctx: LifecycleContext) {
    return { cluster: ctx.cluster, nodes: Object.fromEntries(ctx.nodes.map((n) => [n.alias, n.name])) };
  }

  private fail(session: Session, e: unknown): void {
    const message = e instanceof Error ? e.message : String(e);
    session.info.error = message;
    this.emit(session, { type: 'error', message });
    this.setStage(session, 'failed');
    // A failed session holds no slot (activeCount), so it must not hold a
    // cluster either: repeated failures would pile clusters up on the host.
    // Reset gives it a fresh one.
    session.cleanup = teardown(session.ctx)
      .catch((err) => this.emit(session, { type: 'log', message: `deleting the failed cluster: ${(err as Error).message}` }))
      .finally(() => this.registry.release(session.info.cluster));
  }

  getSession(id: string): SessionInfo {
    return structuredClone(this.session(id).info);
  }

  private session(id: string): Session {
    const s = SESSION_ID.test(id) ? this.sessions.get(id) : undefined;
    if (!s) throw new NotFoundError(`unknown session "${id}"`);
    return s;
  }

  /** Sessions that hold (or are getting, or still deleting) a cluster. */
  private activeCount(): number {
    return [...this.sessions.values()].filter((s) => s.info.stage !== 'ended' && s.info.stage !== 'failed').length;
  }

  private requireCapacity(): void {
    const n = this.activeCount();
    if (n >= this.maxSessions) throw new ConflictError(`${n} session${n === 1 ? ' is' : 's are'} already running; end one first`);
  }

  /** Forgets ended sessions older than the retention time, and the oldest beyond maxEndedKept. */
  private dropEnded(): void {
    const ended = [...this.sessions.values()].filter((s) => s.endedAt !== undefined).sort((a, b) => b.endedAt! - a.endedAt!);
    const cutoff = Date.now() - this.endedRetentionMs;
    ended.forEach((s, i) => {
      if (i < this.maxEndedKept && s.endedAt! > cutoff) return;
      s.listeners.clear();
      this.sessions.delete(s.info.id);
    });
  }

  listSessions(): SessionInfo[] {
    this.dropEnded();
    return [...this.sessions.values()].map((s) => structuredClone(s.info));
  }

  subscribe(sessionId: string, listener: (e: SessionEvent) => void): () => void {
    const s = this.session(sessionId);
    s.listeners.add(listener);
    return () => s.listeners.delete(listener);
  }

  history(sessionId: string): SessionEvent[] {
    return [...this.session(sessionId).events];
  }

  async check(sessionId: string): Promise<GradeReport> {
    const s = this.session(sessionId);
    this.requireStage(s, ['ready']);
    this.setStage(s, 'grading');
    try {
      const report = await gradeCluster(s.ctx);
      // Checks against a cluster being deleted score nothing real.
      if (this.ending(s)) throw new ConflictError(`session ${s.info.id} was ended while it was being graded`);
      s.info.lastGrade = report;
      s.info.timings.grading = report.durationMs;
      this.emit(s, { type: 'grade', message: `score ${report.score}/${report.maxScore} (${report.percent}%)`, grade: report });
      return report;
    } finally {
      // end() may have run meanwhile: never bring an ended session back to ready.
      if (s.info.stage === 'grading') this.setStage(s, 'ready');
    }
  }

  revealHint(sessionId: string): { index: number; text: string; total: number } {
    const s = this.session(sessionId);
    const total = s.scenario.hints.length;
    if (total === 0) throw new ConflictError('this scenario has no hints');
    const index = Math.min(s.info.hintsRevealed, total - 1);
    s.info.hintsRevealed = Math.min(total, s.info.hintsRevealed + 1);
    const text = s.ctx.nodes.length ? fillPlaceholders(s.scenario.hints[index], this.placeholders(s.ctx)) : s.scenario.hints[index];
    return { index, text, total };
  }

  viewSolution(sessionId: string): { steps: string } {
    const s = this.session(sessionId);
    s.info.solutionViewed = true;
    const filled = s.ctx.nodes.length ? fillPlaceholders(s.scenario.solution, this.placeholders(s.ctx)) : s.scenario.solution;
    return { steps: solutionMarkdown(filled) };
  }

  /**
   * Runs the reference solution on the session's cluster (instructor demos,
   * tests). Marks the solution as viewed: a learner's history shows it.
   */
  async applyReferenceSolution(sessionId: string): Promise<void> {
    const s = this.session(sessionId);
    this.requireStage(s, ['ready']);
    s.info.solutionViewed = true;
    this.emit(s, { type: 'log', message: 'applying the reference solution' });
    await applySolution(s.ctx);
  }

  /** Back to the initial broken state: a fresh cluster, the same scenario. */
  async reset(sessionId: string): Promise<void> {
    const s = this.session(sessionId);
    this.requireStage(s, ['ready', 'failed']);
    if (s.info.stage === 'failed') this.requireCapacity(); // a failed session gets a cluster again
    this.setStage(s, 'resetting');
    s.info.lastGrade = undefined;
    s.info.error = undefined;
    // busy covers the delete too, so an end() meanwhile waits for it.
    s.busy = this.rebuild(s);
    await s.busy;
  }

  private async rebuild(s: Session): Promise<void> {
    await s.cleanup;
    s.cleanup = undefined;
    await teardown(s.ctx).catch((e) => s.ctx.log(`delete before reset: ${(e as Error).message}`));
    if (this.ending(s)) return;
    s.ctx.nodes = [];
    s.info.nodes = [];
    s.ctx.identity = undefined;
    await this.bringUp(s);
  }

  async end(sessionId: string): Promise<void> {
    const s = this.session(sessionId);
    if (s.info.stage === 'ended' || s.info.stage === 'ending') return;
    s.abort.abort();
    this.setStage(s, 'ending');
    await s.busy?.catch(() => {});
    await s.cleanup;
    try {
      await teardown(s.ctx);
    } catch (e) {
      this.emit(s, { type: 'error', message: (e as Error).message });
    }
    this.registry.release(s.info.cluster);
    s.endedAt = Date.now();
    this.setStage(s, 'ended');
  }

  shell(sessionId: string, nodeName: string): { file: string; args: string[] } {
    const s = this.session(sessionId);
    // A learner reaches only the nodes of their own session.
    const node = s.info.nodes.find((n: ClusterNode) => n.name === nodeName);
    if (!node) throw new NotFoundError(`node "${nodeName}" is not part of session ${sessionId}`);
    if (!['ready', 'grading'].includes(s.info.stage)) throw new ConflictError(`session is ${s.info.stage}, not ready`);
    return this.driver.interactiveShell(node.name);
  }

  async shutdown(): Promise<void> {
    await Promise.all([...this.sessions.keys()].map((id) => this.end(id).catch(() => {})));
  }

  private requireStage(s: Session, ok: Stage[]): void {
    if (!ok.includes(s.info.stage)) throw new ConflictError(`session ${s.info.id} is ${s.info.stage}; this needs ${ok.join(' or ')}`);
  }

  private setStage(s: Session, stage: Stage): void {
    if (s.info.stage === stage) return;
    if (s.info.stage !== 'queued' && !(s.info.stage in s.info.timings)) {
      s.info.timings[s.info.stage] = Date.now() - s.started;
    }
    s.info.stage = stage;
    this.emit(s, { type: 'stage', stage, message: stage });
  }

  private emit(s: Session, e: Omit<SessionEvent, 'sessionId' | 'at' | 'elapsedMs'>): void {
    const event: SessionEvent = { sessionId: s.info.id, at: new Date().toISOString(), elapsedMs: Date.now() - s.started, ...e };
    s.events.push(event);
    if (s.events.length > MAX_EVENTS) s.events.splice(0, s.events.length - MAX_EVENTS);
    if (e.type !== 'log' || process.env.KUBEDRILL_VERBOSE) this.log(`[${s.info.id}] ${e.message}`);
    for (const l of s.listeners) {
      try {
        l(event);
      } catch {
        // A broken subscriber must not stop the lifecycle.
      }
    }
  }
}

/** Loads the packs, checks the driver, cleans orphans, picks the node image. */
export async function createEngine(opts: EngineOptions): Promise<Engine> {
  const log = opts.log ?? (() => {});
  const scenarios: Scenario[] = [];
  for (const dir of opts.packs) {
    const loaded = loadPack(dir);
    for (const err of loaded.errors) log(`scenario error: ${err.message}`);
    scenarios.push(...loaded.scenarios);
    log(`pack ${loaded.pack.id}: ${loaded.scenarios.length} scenarios${loaded.errors.length ? `, ${loaded.errors.length} with errors` : ''}`);
  }
  const driver = opts.driver ?? new KindDockerDriver();
  await driver.preflight();
  const registry = new ClusterRegistry(driver, log);
  if (opts.cleanOrphans !== false) await registry.deleteOrphans();
  const nodeImage = opts.nodeImage ?? (await resolveNodeImage(driver, log));
  return new Engine(driver, nodeImage, registry, scenarios, log, opts);
}

