import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ClusterDriver } from '../../clusters/driver.js';
import { ClusterRegistry } from '../../server/engine/registry.js';
import { ExamService } from '../../server/exams/service.js';
import { ExamTimer, alertsDue, nextWakeMs } from '../../server/exams/timer.js';
import type { ExamDef } from '../../server/exams/types.js';
import { ProgressStore } from '../../server/progress/store.js';
import { loadPack } from '../../server/scenarios/loader.js';
import type { Scenario } from '../../server/scenarios/types.js';
import { examMarker, fakeExamOps } from '../fake-exam-ops.js';
import { loadTestExams } from '../helpers/test-exams.js';

const MIN = 60_000;
const root = path.resolve(import.meta.dirname, '../..');
let scenarios: Map<string, Scenario>;
let exams: ExamDef[];
beforeAll(() => {
  scenarios = new Map(loadPack(path.join(root, 'scenarios/core')).scenarios.map((s) => [s.id, s]));
  exams = loadTestExams(scenarios);
});

describe('exam clock (pure)', () => {
  it('fires only the thresholds below the time limit, each once', () => {
    const deadline = 120 * MIN;
    expect(alertsDue(deadline, 0, 7200, [])).toEqual([]);
    expect(alertsDue(deadline, 90 * MIN, 7200, [])).toEqual([30]);
    expect(alertsDue(deadline, 90 * MIN, 7200, [30])).toEqual([]);
    expect(alertsDue(deadline, 116 * MIN, 7200, [30])).toEqual([15, 5]);
    expect(alertsDue(deadline, 121 * MIN, 7200, [])).toEqual([]); // over: expiry, not an alert
    expect(alertsDue(20 * MIN, 0, 1200, [])).toEqual([]);
    expect(alertsDue(20 * MIN, 6 * MIN, 1200, [])).toEqual([15]); // a 20-minute exam has no 30-minute alert
  });
  it('wakes at the next alert or the deadline', () => {
    expect(nextWakeMs(120 * MIN, 0, 7200, [])).toBe(90 * MIN);
    expect(nextWakeMs(120 * MIN, 90 * MIN, 7200, [30])).toBe(15 * MIN);
    expect(nextWakeMs(120 * MIN, 118 * MIN, 7200, [30, 15, 5])).toBe(2 * MIN);
    expect(nextWakeMs(120 * MIN, 121 * MIN, 7200, [])).toBe(0);
  });
});

describe('ExamTimer (fake clock)', () => {
  beforeEach(() => vi.useFakeTimers({ now: 0 }));
  afterEach(() => vi.useRealTimers());

  it('alerts at 30, 15, 5 minutes and expires at the deadline; stop() freezes nothing but itself', async () => {
    const seen: string[] = [];
    const t = new ExamTimer(40 * MIN, 40 * 60, [], { onAlert: (m) => seen.push(`alert ${m}`), onExpire: () => seen.push('expired') });
    t.start();
    await vi.advanceTimersByTimeAsync(10 * MIN - 1);
    expect(seen).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(seen).toEqual(['alert 30']);
    await vi.advanceTimersByTimeAsync(15 * MIN);
    expect(seen).toEqual(['alert 30', 'alert 15']);
    await vi.advanceTimersByTimeAsync(10 * MIN);
    expect(seen).toEqual(['alert 30', 'alert 15', 'alert 5']);
    expect(t.remainingMs()).toBe(5 * MIN);
    await vi.advanceTimersByTimeAsync(5 * MIN);
    expect(seen.at(-1)).toBe('expired');
    expect(t.fired).toEqual([30, 15, 5]);
  });

  it('after a restart announces only the most urgent overdue alert', async () => {
    vi.setSystemTime(37 * MIN); // 3 minutes left of 40, 30 already fired
    const seen: number[] = [];
    const t = new ExamTimer(40 * MIN, 40 * 60, [30], { onAlert: (m) => seen.push(m), onExpire: () => {} });
    t.start();
    expect(seen).toEqual([5]);
    expect(t.fired).toEqual([30, 15, 5]);
    t.stop();
  });
});

describe('ExamService with a fake cluster layer (fake clock)', () => {
  let dir: string;
  let store: ProgressStore;
  beforeEach(() => {
    vi.useFakeTimers({ now: Date.parse('2026-03-01T10:00:00Z') });
    dir = mkdtempSync(path.join(os.tmpdir(), 'kd-exam-'));
    store = new ProgressStore(path.join(dir, 'kubedrill.db'));
  });
  afterEach(() => {
    vi.useRealTimers();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const svc = (ops = fakeExamOps({ stepMs: 1000 }), concurrency = 2) => new ExamService({ ops, store, scenarios, exams, concurrency });

  it('provisions, runs with a fixed deadline, keeps flags and notes, grades once at submit, deletes the clusters', async () => {
    const ops = fakeExamOps({ stepMs: 1000 });
    const s = svc(ops);
    expect(s.list().find((e) => e.id === 'sample-3-tasks')).toMatchObject({ estimateSeconds: 117, perClusterSeconds: 90, concurrency: 2, measured: false });
    const { run, ownerToken } = s.start('sample-3-tasks');
    expect(run.state).toBe('provisioning');
    expect(run.tasks.every((t) => t.text === undefined)).toBe(true); // no task text before the clock starts
    expect(s.verifyOwner(run.id, ownerToken)).toBe(true);
    expect(s.verifyOwner(run.id, 'x'.repeat(43))).toBe(false);
    expect(() => s.start('test-timeout')).toThrow(/still provisioning/);
    await vi.advanceTimersByTimeAsync(10_000);
    const v = s.view(run.id);
    expect(v.state).toBe('running');
    expect(ops.maxParallel).toBe(2);
    expect(Date.parse(v.deadlineAt!) - Date.parse(v.startedAt!)).toBe(30 * MIN);
    expect(store.getExamRun(run.id)!.deadlineAt).toBe(v.deadlineAt);
    expect(v.tasks[0]!.text).toContain(`Cluster a`);
    expect(v.tasks[0]!.text).toContain(`${v.clusters[0]!.kindName}-worker`); // placeholders filled with the real node names

    s.setFlag(run.id, 1, true);
    s.setNotes(run.id, 'come back to task 2');
    expect(store.examTasks(run.id)[1]!.flagged).toBe(true);
    expect(store.getExamRun(run.id)!.notes).toBe('come back to task 2');
    expect(() => s.setFlag(run.id, 7, true)).toThrow(/has no task 8/);

    // Task 1 fully fixed, task 2 one check, task 3 nothing.
    const [a, b] = v.clusters.map((c) => c.kindName);
    writeFileSync(examMarker(a!, 'kubelet-stopped'), 'all\n');
    writeFileSync(examMarker(b!, 'service-no-endpoints'), 'ready-endpoints\n');
    await vi.advanceTimersByTimeAsync(5 * MIN);
    const done = await s.submit(run.id);
    expect(done.state).toBe('finished');
    const res = done.results!;
    expect(res.tasks.map((t) => t.percent)).toEqual([100, 40, 0]);
    // (4×1 + 4×0.4 + 2×0) / 10 = 56 %
    expect(res.totalPercent).toBe(56);
    expect(res.passed).toBe(false);
    expect(res.endReason).toBe('submitted');
    const used = Math.round((Date.now() - Date.parse(v.startedAt!)) / 1000);
    expect(res.secondsUsed).toBe(used);
    expect(res.domains).toEqual(
      expect.arrayContaining([
        { domain: 'troubleshooting', percent: 100, weight: 4, tasks: 1 },
        { domain: 'services-networking', percent: 40, weight: 4, tasks: 1 },
        { domain: 'storage', percent: 0, weight: 2, tasks: 1 },
      ]),
    );
    expect(res.tasks[1]!.checks.find((c) => !c.passed)).toMatchObject({ id: 'service-serves', expected: expect.any(String), actual: expect.any(String) });
    expect(res.tasks[0]!.solution).toContain('systemctl enable --now kubelet');
    expect(res.tasks[1]!.flagged).toBe(true);
    expect(ops.deleted.sort()).toEqual([a, b].sort());
    expect(() => s.setNotes(run.id, 'late')).toThrow(/is finished/);
    await expect(s.submit(run.id)).rejects.toThrow(/is finished/);

    // Stored: the run, its task scores, one exam-mode attempt per task with its grade.
    expect(store.getExamRun(run.id)).toMatchObject({ state: 'finished', totalPercent: 56, passed: false, endReason: 'submitted' });
    expect(store.examTasks(run.id).map((t) => t.percent)).toEqual([100, 40, 0]);
    const hist = store.history({ mode: 'exam' });
    expect(hist.map((h) => [h.scenarioId, h.lastPercent, h.secondsSpent])).toEqual(
      expect.arrayContaining([
        ['kubelet-stopped', 100, used],
        ['service-no-endpoints', 40, used],
      ]),
    );
    expect(store.averageProvisionSeconds()).toBeGreaterThan(0);
  });

  it('grades at the deadline on its own (time-out), with the alerts it crossed', async () => {
    const s = svc();
    const { run } = s.start('test-timeout');
    const events: string[] = [];
    s.subscribe(run.id, (e) => events.push(`${e.type}:${e.state ?? e.minutesLeft ?? ''}`));
    await vi.advanceTimersByTimeAsync(5_000);
    const running = s.view(run.id);
    expect(running.state).toBe('running');
    const deadline = Date.parse(running.deadlineAt!);
    expect(deadline - Date.parse(running.startedAt!)).toBe(90_000);
    expect(running.remainingMs).toBe(deadline - Date.now());
    await vi.advanceTimersByTimeAsync(deadline - Date.now() - 1);
    expect(s.view(run.id).state).toBe('running');
    await vi.advanceTimersByTimeAsync(1);
    await s.settle(run.id);
    const v = s.view(run.id);
    expect(v.state).toBe('finished');
    expect(v.results).toMatchObject({ endReason: 'timeout', totalPercent: 0, secondsUsed: 90 });
    expect(events).toEqual(expect.arrayContaining(['state:running', 'state:grading', 'state:finished']));
    expect(events.filter((e) => e.startsWith('alert'))).toEqual([]); // 1.5 minutes: below every alert threshold
  });

  it('resumes a running exam after a restart with the same deadline, and keeps its clusters through the stop', async () => {
    const ops = fakeExamOps({ stepMs: 1000 });
    const first = svc(ops);
    const { run, ownerToken } = first.start('sample-3-tasks');
    await vi.advanceTimersByTimeAsync(10_000);
    const before = first.view(run.id);
    first.setNotes(run.id, 'notes survive');
    first.setFlag(run.id, 2, true);
    await first.shutdown();
    expect(ops.deleted).toEqual([]); // clusters kept

    await vi.advanceTimersByTimeAsync(MIN); // the server is down for a minute
    const second = svc(ops);
    expect(await second.resume()).toEqual([run.id]);
    const after = second.view(run.id);
    expect(after).toMatchObject({ state: 'running', deadlineAt: before.deadlineAt, notes: 'notes survive' });
    expect(after.tasks[2]!.flagged).toBe(true);
    expect(after.remainingMs).toBe(Date.parse(before.deadlineAt!) - Date.now());
    expect(second.verifyOwner(run.id, ownerToken)).toBe(true); // the browser's cookie still works
    await vi.advanceTimersByTimeAsync(Date.parse(before.deadlineAt!) - Date.now() - 15 * MIN);
    expect(second.view(run.id).alertsFired).toEqual([15]); // a 30-minute exam: only the 15- and 5-minute alerts
    expect(store.getExamRun(run.id)!.alertsFired).toEqual([15]);
    await vi.advanceTimersByTimeAsync(15 * MIN);
    await second.settle(run.id);
    expect(second.view(run.id).results).toMatchObject({ endReason: 'timeout', secondsUsed: 30 * 60 });
  });

  it('grades at once when the deadline passed while the server was down', async () => {
    const ops = fakeExamOps({ stepMs: 1000 });
    const first = svc(ops);
    const { run } = first.start('test-timeout');
    await vi.advanceTimersByTimeAsync(5_000);
    await first.shutdown();
    await vi.advanceTimersByTimeAsync(10 * MIN);
    const second = svc(ops);
    await second.resume();
    await second.settle(run.id);
    expect(second.view(run.id).results).toMatchObject({ endReason: 'timeout-while-stopped', secondsUsed: 90 });
    expect(ops.clusters.size).toBe(0);
  });

  it('fails cleanly when a cluster cannot be created, deleting the others', async () => {
    const ops = fakeExamOps({ stepMs: 1000, fail: 'b' });
    const s = svc(ops);
    const { run } = s.start('sample-3-tasks');
    await vi.advanceTimersByTimeAsync(10_000);
    await s.settle(run.id);
    const v = s.view(run.id);
    expect(v.state).toBe('failed');
    expect(v.error).toMatch(/kind create cluster failed/);
    expect(ops.clusters.size).toBe(0);
  });
});

describe('ClusterRegistry keepUntil', () => {
  it('deleteOrphans keeps a dead owner\'s cluster until keepUntil, then deletes it', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'kd-reg-'));
    const deleted: string[] = [];
    const driver = { list: async () => ['kd-xabc-a', 'kd-old'], delete: async (n: string) => void deleted.push(n) } as unknown as ClusterDriver;
    const reg = new ClusterRegistry(driver, () => {}, dir);
    await reg.claim('kd-xabc-a', { holder: 'exam:abc', keepUntil: new Date(Date.now() + 3600_000).toISOString() });
    await reg.claim('kd-old');
    const dead = (name: string) => {
      const f = path.join(dir, 'clusters', name);
      writeFileSync(f, JSON.stringify({ ...JSON.parse(readFileSync(f, 'utf8')), pid: 2 ** 22 + 12345 }));
    };
    dead('kd-xabc-a');
    dead('kd-old');
    expect(await reg.deleteOrphans()).toEqual(['kd-old']);
    expect(existsSync(path.join(dir, 'clusters', 'kd-xabc-a'))).toBe(true);
    await reg.claim('kd-xabc-a', { keepUntil: new Date(Date.now() - 1000).toISOString() });
    dead('kd-xabc-a');
    expect(await reg.deleteOrphans()).toEqual(['kd-xabc-a', 'kd-old']);
    rmSync(dir, { recursive: true, force: true });
  });
});
