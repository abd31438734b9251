/**
 * Exam integrity: while a mock exam is under way (provisioning or running),
 * a training session of one of its tasks' scenarios cannot show the
 * solution (403 with the reason); other scenarios can, and so can that one
 * once the exam is submitted. Fake engine + the real exam service on fake
 * clusters.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExamService } from '../../server/exams/service.js';
import type { ExamDef } from '../../server/exams/types.js';
import { examsExtension } from '../../server/http/exams.js';
import { ProgressStore } from '../../server/progress/store.js';
import { fakeExamOps } from '../fake-exam-ops.js';
import { tinyScenario } from './engine-driver.js';
import { startSession, startTestServer, type Started, type TestServer } from './http-helpers.js';

const EXAM: ExamDef = {
  id: 'lock-test',
  title: 'Lock test',
  timeLimitMinutes: 30,
  passPercent: 66,
  clusters: [{ name: 'a', workers: 1 }],
  tasks: [{ scenario: 'fake-broken-kubelet', cluster: 'a', weight: 1 }],
};

let dir: string;
let store: ProgressStore;
let exams: ExamService;
let ts: TestServer;
beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'kd-lock-'));
  store = new ProgressStore(path.join(dir, 'kubedrill.db'));
  const scenarios = new Map([['fake-broken-kubelet', tinyScenario('fake-broken-kubelet')]]);
  exams = new ExamService({ ops: fakeExamOps({ stepMs: 20 }), store, scenarios, exams: [EXAM] });
  ts = await startTestServer({ extensions: [examsExtension(exams)] });
});
afterAll(async () => {
  await ts?.close();
  await exams?.shutdown();
  store?.close();
  rmSync(dir, { recursive: true, force: true });
});

const solution = (s: Started) =>
  fetch(`${ts.base}/api/sessions/${s.id}/solution`, {
    method: 'POST',
    headers: { cookie: s.cookie, origin: ts.origin, 'content-type': 'application/json' },
    body: '{"confirm":true}',
  }).then(async (r) => ({ status: r.status, json: (await r.json()) as { error?: string; message?: string; solution?: unknown } }));

describe('solutions during a mock exam', () => {
  it('are refused for the exam\'s tasks while it is under way, and shown again after submit', async () => {
    const task = await startSession(ts, 'fake-broken-kubelet');
    const other = await startSession(ts, 'fake-etcd-backup');
    const { run } = exams.start('lock-test');

    const locked = await solution(task);
    expect(locked.status).toBe(403);
    expect(locked.json).toEqual({
      error: 'solution_locked',
      message: `this scenario is a task of the mock exam "Lock test" (run ${run.id}), which is under way: its solution stays hidden until the exam is submitted or its time is up`,
    });
    expect(ts.engine.getSession(task.id).solutionViewed).toBe(false);
    expect((await solution(other)).status).toBe(200);

    await exams.settle(run.id);
    expect(exams.stateOf(run.id)).toBe('running');
    expect((await solution(task)).status).toBe(403);

    await exams.submit(run.id);
    const open = await solution(task);
    expect(open.status).toBe(200);
    expect(open.json.solution).toBeDefined();
  });
});
