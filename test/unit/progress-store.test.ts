import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { GradeReport } from '../../graders/types.js';
import { MIGRATIONS, SCHEMA_VERSION, migrate } from '../../server/progress/migrations.js';
import { ProgressStore } from '../../server/progress/store.js';
import { withProgress } from '../../server/progress/with-progress.js';
import { FakeEngine } from '../fake-engine.js';

const dirs: string[] = [];
function tmpDb(): string {
  const d = mkdtempSync(path.join(os.tmpdir(), 'kd-progress-'));
  dirs.push(d);
  return path.join(d, 'sub', 'kubedrill.db');
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function report(scenarioId: string, passed: boolean[], points = 2): GradeReport {
  const checks = passed.map((p, i) => ({ id: `c${i}`, description: `check ${i}`, points: p ? points : 0, maxPoints: points, passed: p, expected: p ? undefined : 'x', actual: p ? undefined : 'y' }));
  const score = checks.reduce((s, c) => s + c.points, 0);
  const max = checks.length * points;
  return { scenarioId, score, maxScore: max, percent: Math.round((score / max) * 1000) / 10, checks, gradedAt: new Date().toISOString(), durationMs: 5 };
}

describe('progress store: migrations', () => {
  it('creates the schema in a new file (folders included) with the default learner', () => {
    const s = new ProgressStore(tmpDb());
    expect(s.db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(s.learnerId()).toBe(1);
    s.close();
  });

  it('upgrades a version-1 database step by step and keeps its data; re-running is a no-op', () => {
    const file = tmpDb();
    new ProgressStore(file).close(); // makes the folder
    rmSync(file);
    const db = new Database(file);
    expect(migrate(db, MIGRATIONS, 1)).toEqual([1]);
    db.prepare("INSERT INTO attempts (learner_id, mode, scenario_id, started_at) VALUES (1, 'training', 'old-one', '2026-01-01T00:00:00Z')").run();
    expect(migrate(db)).toEqual([2]);
    expect(migrate(db)).toEqual([]);
    db.close();
    const s = new ProgressStore(file);
    expect(s.history().map((a) => a.scenarioId)).toEqual(['old-one']);
    expect(s.examRuns()).toEqual([]);
    s.close();
  });

  it('refuses a database from a newer Kubedrill', () => {
    const file = tmpDb();
    new ProgressStore(file).close();
    const db = new Database(file);
    db.pragma('user_version = 99');
    db.close();
    expect(() => new ProgressStore(file)).toThrow(/schema version 99, newer than this Kubedrill understands/);
  });
});

describe('progress store: attempts, history, best scores, domains, suggestions', () => {
  it('records start, grades with per-check results, hints, solution and end', () => {
    const s = new ProgressStore(tmpDb());
    const a = s.startAttempt({ mode: 'training', scenarioId: 'kubelet-stopped', domain: 'troubleshooting', sessionId: 'abc', startedAt: new Date(Date.now() - 65_000).toISOString() });
    s.recordGrade(a, report('kubelet-stopped', [true, false]));
    s.recordGrade(a, report('kubelet-stopped', [true, true]));
    s.recordHints(a, 2);
    s.recordHints(a, 1); // never goes down
    s.recordSolutionViewed(a);
    s.endAttempt(a);
    s.endAttempt(a, { secondsSpent: 1 }); // only once
    const [h] = s.history();
    expect(h).toMatchObject({ scenarioId: 'kubelet-stopped', mode: 'training', grades: 2, bestPercent: 100, lastPercent: 100, hintsRevealed: 2, solutionViewed: true });
    expect(h!.secondsSpent).toBeGreaterThanOrEqual(64);
    expect(s.lastChecks(a).map((c) => [c.checkId, c.passed])).toEqual([
      ['c0', true],
      ['c1', true],
    ]);
    expect(s.attemptForSession('abc')).toBe(a);
    s.close();
  });

  it('computes best scores, domain averages, weakest domains and suggestions', () => {
    const s = new ProgressStore(tmpDb());
    const grade = (id: string, domain: string, passed: boolean[]) => {
      const a = s.startAttempt({ mode: 'training', scenarioId: id, domain });
      s.recordGrade(a, report(id, passed));
      s.endAttempt(a);
    };
    grade('kubelet-stopped', 'troubleshooting', [true, true]); // 100
    grade('coredns-scaled-zero', 'troubleshooting', [true, false]); // 50
    grade('coredns-scaled-zero', 'troubleshooting', [false, false]); // best stays 50
    grade('pvc-pending', 'storage', [false, false, false, true]); // 25
    grade('service-no-endpoints', 'services-networking', [true, true, true, false]); // 75

    const best = new Map(s.bestScores().map((b) => [b.scenarioId, b]));
    expect(best.get('coredns-scaled-zero')).toMatchObject({ attempts: 2, bestPercent: 50 });
    const avg = new Map(s.domainAverages().map((d) => [d.domain, d]));
    expect(avg.get('troubleshooting')).toMatchObject({ averagePercent: 75, scenarios: 2, attempts: 3 });
    expect(avg.get('storage')!.averagePercent).toBe(25);
    expect(avg.get('cluster-architecture')!.averagePercent).toBeNull();

    // Never-practised domains first (heavier CKA weight first), then the lowest average.
    expect(s.weakestDomains().map((d) => d.domain)).toEqual(['cluster-architecture', 'workloads-scheduling', 'storage', 'troubleshooting', 'services-networking']); // tie at 75 %: heavier CKA weight first

    const catalog = [
      { id: 'kubelet-stopped', domain: 'troubleshooting', title: 'K' },
      { id: 'coredns-scaled-zero', domain: 'troubleshooting', title: 'C' },
      { id: 'pvc-pending', domain: 'storage', title: 'P' },
      { id: 'pv-reclaim-retain', domain: 'storage', title: 'R' },
      { id: 'etcd-snapshot-save', domain: 'cluster-architecture', title: 'E' },
      { id: 'service-no-endpoints', domain: 'services-networking', title: 'S' },
    ];
    const sug = s.suggestions(catalog, 3);
    // cluster-architecture (never practised) → its unattempted scenario; workloads has none; storage: unattempted first, then the 25 %.
    expect(sug.map((x) => x.scenarioId)).toEqual(['etcd-snapshot-save', 'pv-reclaim-retain', 'pvc-pending']);
    expect(sug[2]!.reason).toMatch(/best score 25% so far, in your weakest domain \(average 25%\)/);
    s.close();
  });

  it('closes training attempts a dead server left open', () => {
    const s = new ProgressStore(tmpDb());
    const a = s.startAttempt({ mode: 'training', scenarioId: 'x', startedAt: '2026-01-01T10:00:00.000Z' });
    s.recordGrade(a, { ...report('x', [true]), gradedAt: '2026-01-01T10:05:00.000Z' });
    expect(s.closeAbandonedTrainingAttempts()).toBe(1);
    expect(s.history()[0]).toMatchObject({ endedAt: '2026-01-01T10:05:00.000Z', secondsSpent: 300 });
    s.close();
  });
});

describe('withProgress(engine, store)', () => {
  it('records a training session: start, check, hint, solution, end; the engine is otherwise untouched', async () => {
    const s = new ProgressStore(tmpDb());
    const fake = new FakeEngine({ stepMs: 2 });
    const engine = withProgress(fake, s);
    const info = engine.startSession('fake-broken-kubelet');
    for (let i = 0; i < 200 && engine.getSession(info.id).stage !== 'ready'; i++) await new Promise((r) => setTimeout(r, 10));
    await engine.check(info.id);
    engine.revealHint(info.id);
    engine.viewSolution(info.id);
    expect(engine.listScenarios()).toBe(fake.listScenarios()); // pass-through
    await engine.end(info.id);
    const [h] = s.history();
    expect(h).toMatchObject({ scenarioId: 'fake-broken-kubelet', domain: 'troubleshooting', sessionId: info.id, grades: 1, lastPercent: 30, hintsRevealed: 1, solutionViewed: true });
    expect(h!.endedAt).not.toBeNull();
    expect(s.averageProvisionSeconds()).toBeGreaterThanOrEqual(0);
    await fake.shutdown();
    s.close();
  });

  it('drops the attempt of a session that never got ready', async () => {
    const s = new ProgressStore(tmpDb());
    const fake = new FakeEngine({ stepMs: 2, failProvisioning: true });
    const engine = withProgress(fake, s);
    const info = engine.startSession('fake-broken-kubelet');
    for (let i = 0; i < 200 && engine.getSession(info.id).stage !== 'failed'; i++) await new Promise((r) => setTimeout(r, 10));
    await engine.end(info.id);
    expect(s.history()).toEqual([]);
    s.close();
  });
});
