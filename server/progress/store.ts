/**
 * The progress store: an embedded SQLite database (better-sqlite3) with
 * learners, attempts (training and exam), every grade with its per-check
 * results, mock exam runs and provisioning timings. No setup: the file is
 * created on first use at $KUBEDRILL_STATE_DIR/kubedrill.db.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Database as Db } from 'better-sqlite3';
import type { GradeReport } from '../../graders/types.js';
import { defaultStateDir } from '../engine/registry.js';
import type { CkaDomain } from '../scenarios/types.js';
import { migrate } from './migrations.js';

export const DOMAIN_WEIGHTS: Record<CkaDomain, number> = {
  'cluster-architecture': 25,
  'workloads-scheduling': 15,
  'services-networking': 20,
  storage: 10,
  troubleshooting: 30,
};

export type Mode = 'training' | 'exam';

export interface AttemptStart {
  mode: Mode;
  scenarioId: string;
  domain?: string;
  sessionId?: string;
  examRunId?: string;
  taskIndex?: number;
  startedAt?: string;
  learner?: string;
}

export interface AttemptRow {
  id: number;
  mode: Mode;
  scenarioId: string;
  domain: string | null;
  sessionId: string | null;
  examRunId: string | null;
  taskIndex: number | null;
  startedAt: string;
  endedAt: string | null;
  secondsSpent: number | null;
  hintsRevealed: number;
  solutionViewed: boolean;
  grades: number;
  bestPercent: number | null;
  lastPercent: number | null;
}

export interface BestScore {
  scenarioId: string;
  domain: string | null;
  attempts: number;
  bestPercent: number | null;
  lastAt: string;
  /** True when the solution was viewed in the attempt that set the best score. */
  solutionViewedInBest: boolean;
}

export interface DomainAverage {
  domain: string;
  /** Mean of the best score of each graded scenario in the domain. */
  averagePercent: number | null;
  scenarios: number;
  attempts: number;
}

export interface CatalogEntry {
  id: string;
  domain: string;
  title: string;
}

export interface Suggestion {
  scenarioId: string;
  title: string;
  domain: string;
  reason: string;
  bestPercent: number | null;
}

export interface StoredCheck {
  checkId: string;
  description: string;
  passed: boolean;
  points: number;
  maxPoints: number;
  expected: string | null;
  actual: string | null;
  explain: string | null;
  error: string | null;
}

export type ExamState = 'provisioning' | 'running' | 'grading' | 'finished' | 'failed' | 'cancelled';

export interface ExamRunRow {
  id: string;
  examId: string;
  title: string;
  state: ExamState;
  createdAt: string;
  startedAt: string | null;
  deadlineAt: string | null;
  endedAt: string | null;
  endReason: string | null;
  timeLimitSeconds: number;
  passPercent: number;
  ownerHash: string;
  notes: string;
  alertsFired: number[];
  clusters: unknown;
  definition: unknown;
  totalPercent: number | null;
  passed: boolean | null;
  results: unknown;
  error: string | null;
}

export interface ExamTaskRow {
  idx: number;
  scenarioId: string;
  clusterName: string;
  weight: number;
  domain: string;
  flagged: boolean;
  attemptId: number | null;
  score: number | null;
  maxScore: number | null;
  percent: number | null;
}

export function defaultDbPath(): string {
  return process.env.KUBEDRILL_DB ?? path.join(defaultStateDir(), 'kubedrill.db');
}

const now = () => new Date().toISOString();

export class ProgressStore {
  readonly db: Db;

  constructor(readonly file: string = defaultDbPath()) {
    if (file !== ':memory:') mkdirSync(path.dirname(file), { recursive: true });
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('busy_timeout = 5000');
    migrate(this.db);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  learnerId(name = 'local'): number {
    const row = this.db.prepare('SELECT id FROM learners WHERE name = ?').get(name) as { id: number } | undefined;
    if (row) return row.id;
    return Number(this.db.prepare('INSERT INTO learners (name, created_at) VALUES (?, ?)').run(name, now()).lastInsertRowid);
  }

  // ---- attempts ------------------------------------------------------------------

  startAttempt(a: AttemptStart): number {
    const r = this.db
      .prepare(
        `INSERT INTO attempts (learner_id, mode, scenario_id, domain, session_id, exam_run_id, task_index, started_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(this.learnerId(a.learner), a.mode, a.scenarioId, a.domain ?? null, a.sessionId ?? null, a.examRunId ?? null, a.taskIndex ?? null, a.startedAt ?? now());
    return Number(r.lastInsertRowid);
  }

  attemptForSession(sessionId: string): number | undefined {
    const row = this.db.prepare('SELECT id FROM attempts WHERE session_id = ? ORDER BY id DESC LIMIT 1').get(sessionId) as { id: number } | undefined;
    return row?.id;
  }

  recordGrade(attemptId: number, report: GradeReport): number {
    return this.db.transaction(() => {
      const g = this.db
        .prepare('INSERT INTO grades (attempt_id, graded_at, score, max_score, percent) VALUES (?, ?, ?, ?, ?)')
        .run(attemptId, report.gradedAt, report.score, report.maxScore, report.percent);
      const gradeId = Number(g.lastInsertRowid);
      const ins = this.db.prepare(
        `INSERT INTO check_results (grade_id, position, check_id, description, passed, points, max_points, expected, actual, explain, error)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      );
      report.checks.forEach((c, i) =>
        ins.run(gradeId, i, c.id, c.description, c.passed ? 1 : 0, c.points, c.maxPoints, c.expected ?? null, c.actual ?? null, c.explain ?? null, c.error ?? null),
      );
      return gradeId;
    })();
  }

  /** Removes an attempt that never became one (the cluster never got ready). */
  deleteAttempt(attemptId: number): void {
    this.db.prepare('DELETE FROM attempts WHERE id = ? AND NOT EXISTS (SELECT 1 FROM grades WHERE attempt_id = ?)').run(attemptId, attemptId);
  }

  recordHints(attemptId: number, hintsRevealed: number): void {
    this.db.prepare('UPDATE attempts SET hints_revealed = MAX(hints_revealed, ?) WHERE id = ?').run(hintsRevealed, attemptId);
  }

  recordSolutionViewed(attemptId: number): void {
    this.db.prepare('UPDATE attempts SET solution_viewed = 1 WHERE id = ?').run(attemptId);
  }

  /** Ends an attempt once; seconds spent default to ended - started. */
  endAttempt(attemptId: number, opts: { endedAt?: string; secondsSpent?: number } = {}): void {
    const endedAt = opts.endedAt ?? now();
    const row = this.db.prepare('SELECT started_at, ended_at FROM attempts WHERE id = ?').get(attemptId) as { started_at: string; ended_at: string | null } | undefined;
    if (!row || row.ended_at) return;
    const seconds = opts.secondsSpent ?? Math.max(0, Math.round((Date.parse(endedAt) - Date.parse(row.started_at)) / 1000));
    this.db.prepare('UPDATE attempts SET ended_at = ?, seconds_spent = ? WHERE id = ?').run(endedAt, seconds, attemptId);
  }

  /** Training attempts left open by a server that died: close them at their last grade (or start). */
  closeAbandonedTrainingAttempts(): number {
    const open = this.db
      .prepare(
        `SELECT a.id, a.started_at, (SELECT MAX(graded_at) FROM grades g WHERE g.attempt_id = a.id) AS last
         FROM attempts a WHERE a.mode = 'training' AND a.ended_at IS NULL`,
      )
      .all() as Array<{ id: number; started_at: string; last: string | null }>;
    for (const a of open) this.endAttempt(a.id, { endedAt: a.last ?? a.started_at });
    return open.length;
  }

  history(opts: { limit?: number; learner?: string; mode?: Mode } = {}): AttemptRow[] {
    const rows = this.db
      .prepare(
        `SELECT a.*, COUNT(g.id) AS grades, MAX(g.percent) AS best,
                (SELECT percent FROM grades g2 WHERE g2.attempt_id = a.id ORDER BY g2.graded_at DESC, g2.id DESC LIMIT 1) AS last
         FROM attempts a LEFT JOIN grades g ON g.attempt_id = a.id
         WHERE a.learner_id = ? AND (? IS NULL OR a.mode = ?)
         GROUP BY a.id ORDER BY a.started_at DESC, a.id DESC LIMIT ?`,
      )
      .all(this.learnerId(opts.learner), opts.mode ?? null, opts.mode ?? null, opts.limit ?? 100) as Array<Record<string, unknown>>;
    return rows.map((r) => ({
      id: r.id as number,
      mode: r.mode as Mode,
      scenarioId: r.scenario_id as string,
      domain: (r.domain as string | null) ?? null,
      sessionId: (r.session_id as string | null) ?? null,
      examRunId: (r.exam_run_id as string | null) ?? null,
      taskIndex: (r.task_index as number | null) ?? null,
      startedAt: r.started_at as string,
      endedAt: (r.ended_at as string | null) ?? null,
      secondsSpent: (r.seconds_spent as number | null) ?? null,
      hintsRevealed: r.hints_revealed as number,
      solutionViewed: r.solution_viewed === 1,
      grades: r.grades as number,
      bestPercent: (r.best as number | null) ?? null,
      lastPercent: (r.last as number | null) ?? null,
    }));
  }

  /** The per-check results of an attempt's last grade. */
  lastChecks(attemptId: number): StoredCheck[] {
    const g = this.db.prepare('SELECT id FROM grades WHERE attempt_id = ? ORDER BY graded_at DESC, id DESC LIMIT 1').get(attemptId) as { id: number } | undefined;
    if (!g) return [];
    const rows = this.db.prepare('SELECT * FROM check_results WHERE grade_id = ? ORDER BY position').all(g.id) as Array<Record<string, unknown>>;
    return rows.map((r) => ({
      checkId: r.check_id as string,
      description: r.description as string,
      passed: r.passed === 1,
      points: r.points as number,
      maxPoints: r.max_points as number,
      expected: (r.expected as string | null) ?? null,
      actual: (r.actual as string | null) ?? null,
      explain: (r.explain as string | null) ?? null,
      error: (r.error as string | null) ?? null,
    }));
  }

  bestScores(learner?: string): BestScore[] {
    const rows = this.db
      .prepare(
        `SELECT a.scenario_id, MAX(a.domain) AS domain, COUNT(DISTINCT a.id) AS attempts, MAX(g.percent) AS best, MAX(a.started_at) AS last_at,
                (SELECT a2.solution_viewed FROM attempts a2 JOIN grades g2 ON g2.attempt_id = a2.id
                   WHERE a2.scenario_id = a.scenario_id AND a2.learner_id = a.learner_id ORDER BY g2.percent DESC, g2.id ASC LIMIT 1) AS sol
         FROM attempts a LEFT JOIN grades g ON g.attempt_id = a.id
         WHERE a.learner_id = ?
         GROUP BY a.scenario_id ORDER BY a.scenario_id`,
      )
      .all(this.learnerId(learner)) as Array<Record<string, unknown>>;
    return rows.map((r) => ({
      scenarioId: r.scenario_id as string,
      domain: (r.domain as string | null) ?? null,
      attempts: r.attempts as number,
      bestPercent: (r.best as number | null) ?? null,
      lastAt: r.last_at as string,
      solutionViewedInBest: r.sol === 1,
    }));
  }

  /** Per CKA domain: mean of the best score of every graded scenario; domains without attempts come back with null. */
  domainAverages(learner?: string): DomainAverage[] {
    const best = this.bestScores(learner);
    const out: DomainAverage[] = [];
    for (const domain of Object.keys(DOMAIN_WEIGHTS)) {
      const mine = best.filter((b) => b.domain === domain);
      const graded = mine.filter((b) => b.bestPercent !== null);
      out.push({
        domain,
        averagePercent: graded.length ? Math.round((graded.reduce((s, b) => s + b.bestPercent!, 0) / graded.length) * 10) / 10 : null,
        scenarios: graded.length,
        attempts: mine.reduce((s, b) => s + b.attempts, 0),
      });
    }
    return out;
  }

  /**
   * Domains ordered weakest first: never-graded domains first (heavier CKA
   * weight first), then by ascending average.
   */
  weakestDomains(learner?: string): DomainAverage[] {
    const w = (d: string) => DOMAIN_WEIGHTS[d as CkaDomain] ?? 0;
    return this.domainAverages(learner).sort((a, b) => {
      if (a.averagePercent === null && b.averagePercent === null) return w(b.domain) - w(a.domain);
      if (a.averagePercent === null) return -1;
      if (b.averagePercent === null) return 1;
      return a.averagePercent - b.averagePercent || w(b.domain) - w(a.domain);
    });
  }

  /**
   * What to practise next: in the weakest domain that still has something to
   * do, unattempted scenarios first, then the lowest best scores below 100 %.
   */
  suggestions(catalog: CatalogEntry[], limit = 3, learner?: string): Suggestion[] {
    const best = new Map(this.bestScores(learner).map((b) => [b.scenarioId, b]));
    const out: Suggestion[] = [];
    for (const d of this.weakestDomains(learner)) {
      const label = d.averagePercent === null ? 'a domain you have not practised yet' : `your weakest domain (average ${d.averagePercent}%)`;
      const inDomain = catalog.filter((c) => c.domain === d.domain);
      const fresh = inDomain.filter((c) => !best.has(c.id));
      const weak = inDomain
        .filter((c) => best.has(c.id) && (best.get(c.id)!.bestPercent ?? 0) < 100)
        .sort((a, b) => (best.get(a.id)!.bestPercent ?? 0) - (best.get(b.id)!.bestPercent ?? 0));
      for (const c of fresh) out.push({ scenarioId: c.id, title: c.title, domain: c.domain, reason: `not attempted yet, in ${label}`, bestPercent: null });
      for (const c of weak) {
        const b = best.get(c.id)!.bestPercent;
        out.push({ scenarioId: c.id, title: c.title, domain: c.domain, reason: `best score ${b ?? 0}% so far, in ${label}`, bestPercent: b });
      }
      if (out.length >= limit) break;
    }
    return out.slice(0, limit);
  }

  // ---- exam runs --------------------------------------------------------------------

  createExamRun(r: {
    id: string;
    examId: string;
    title: string;
    timeLimitSeconds: number;
    passPercent: number;
    ownerHash: string;
    definition: unknown;
    tasks: Array<{ scenarioId: string; clusterName: string; weight: number; domain: string }>;
    learner?: string;
  }): void {
    this.db.transaction(() => {
      this.db
        .prepare(
          `INSERT INTO exam_runs (id, learner_id, exam_id, title, state, created_at, time_limit_seconds, pass_percent, owner_hash, definition)
           VALUES (?, ?, ?, ?, 'provisioning', ?, ?, ?, ?, ?)`,
        )
        .run(r.id, this.learnerId(r.learner), r.examId, r.title, now(), r.timeLimitSeconds, r.passPercent, r.ownerHash, JSON.stringify(r.definition));
      const ins = this.db.prepare('INSERT INTO exam_tasks (exam_run_id, idx, scenario_id, cluster_name, weight, domain) VALUES (?, ?, ?, ?, ?, ?)');
      r.tasks.forEach((t, i) => ins.run(r.id, i, t.scenarioId, t.clusterName, t.weight, t.domain));
    })();
  }

  updateExamRun(
    id: string,
    f: Partial<{
      state: ExamState;
      startedAt: string;
      deadlineAt: string;
      endedAt: string;
      endReason: string;
      notes: string;
      alertsFired: number[];
      clusters: unknown;
      totalPercent: number;
      passed: boolean;
      results: unknown;
      error: string;
    }>,
  ): void {
    const cols: Record<string, unknown> = {
      state: f.state,
      started_at: f.startedAt,
      deadline_at: f.deadlineAt,
      ended_at: f.endedAt,
      end_reason: f.endReason,
      notes: f.notes,
      alerts_fired: f.alertsFired && JSON.stringify(f.alertsFired),
      clusters: f.clusters !== undefined ? JSON.stringify(f.clusters) : undefined,
      total_percent: f.totalPercent,
      passed: f.passed === undefined ? undefined : f.passed ? 1 : 0,
      results: f.results !== undefined ? JSON.stringify(f.results) : undefined,
      error: f.error,
    };
    const set = Object.entries(cols).filter(([, v]) => v !== undefined);
    if (!set.length) return;
    this.db.prepare(`UPDATE exam_runs SET ${set.map(([k]) => `${k} = ?`).join(', ')} WHERE id = ?`).run(...set.map(([, v]) => v), id);
  }

  getExamRun(id: string): ExamRunRow | undefined {
    const r = this.db.prepare('SELECT * FROM exam_runs WHERE id = ?').get(id) as Record<string, unknown> | undefined;
    return r ? examRow(r) : undefined;
  }

  examRuns(opts: { states?: ExamState[]; limit?: number } = {}): ExamRunRow[] {
    const rows = this.db.prepare('SELECT * FROM exam_runs ORDER BY created_at DESC LIMIT ?').all(opts.limit ?? 1000) as Array<Record<string, unknown>>;
    return rows.map(examRow).filter((r) => !opts.states || opts.states.includes(r.state));
  }

  examTasks(runId: string): ExamTaskRow[] {
    const rows = this.db.prepare('SELECT * FROM exam_tasks WHERE exam_run_id = ? ORDER BY idx').all(runId) as Array<Record<string, unknown>>;
    return rows.map((r) => ({
      idx: r.idx as number,
      scenarioId: r.scenario_id as string,
      clusterName: r.cluster_name as string,
      weight: r.weight as number,
      domain: r.domain as string,
      flagged: r.flagged === 1,
      attemptId: (r.attempt_id as number | null) ?? null,
      score: (r.score as number | null) ?? null,
      maxScore: (r.max_score as number | null) ?? null,
      percent: (r.percent as number | null) ?? null,
    }));
  }

  setTaskFlag(runId: string, idx: number, flagged: boolean): void {
    this.db.prepare('UPDATE exam_tasks SET flagged = ? WHERE exam_run_id = ? AND idx = ?').run(flagged ? 1 : 0, runId, idx);
  }

  setTaskAttempt(runId: string, idx: number, attemptId: number): void {
    this.db.prepare('UPDATE exam_tasks SET attempt_id = ? WHERE exam_run_id = ? AND idx = ?').run(attemptId, runId, idx);
  }

  setTaskResult(runId: string, idx: number, r: { score: number; maxScore: number; percent: number }): void {
    this.db.prepare('UPDATE exam_tasks SET score = ?, max_score = ?, percent = ? WHERE exam_run_id = ? AND idx = ?').run(r.score, r.maxScore, r.percent, runId, idx);
  }

  // ---- provisioning timings ------------------------------------------------------------

  recordProvisionTiming(seconds: number, workers: number): void {
    this.db.prepare('INSERT INTO provision_timings (at, seconds, workers) VALUES (?, ?, ?)').run(now(), seconds, workers);
  }

  /** Mean of the last `n` measured cluster bring-ups, or undefined with no measurement yet. */
  averageProvisionSeconds(n = 10): number | undefined {
    const r = this.db.prepare('SELECT AVG(seconds) AS avg, COUNT(*) AS c FROM (SELECT seconds FROM provision_timings ORDER BY id DESC LIMIT ?)').get(n) as {
      avg: number | null;
      c: number;
    };
    return r.c ? r.avg! : undefined;
  }
}

function examRow(r: Record<string, unknown>): ExamRunRow {
  const json = (v: unknown, d: unknown) => (typeof v === 'string' ? JSON.parse(v) : d);
  return {
    id: r.id as string,
    examId: r.exam_id as string,
    title: r.title as string,
    state: r.state as ExamState,
    createdAt: r.created_at as string,
    startedAt: (r.started_at as string | null) ?? null,
    deadlineAt: (r.deadline_at as string | null) ?? null,
    endedAt: (r.ended_at as string | null) ?? null,
    endReason: (r.end_reason as string | null) ?? null,
    timeLimitSeconds: r.time_limit_seconds as number,
    passPercent: r.pass_percent as number,
    ownerHash: r.owner_hash as string,
    notes: r.notes as string,
    alertsFired: json(r.alerts_fired, []) as number[],
    clusters: json(r.clusters, []),
    definition: json(r.definition, null),
    totalPercent: (r.total_percent as number | null) ?? null,
    passed: r.passed === null || r.passed === undefined ? null : r.passed === 1,
    results: json(r.results, null),
    error: (r.error as string | null) ?? null,
  };
}
