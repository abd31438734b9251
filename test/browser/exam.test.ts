/**
 * Mock exam in Chromium: the real HTTP layer, exam service, progress
 * database and web app, on the fake cluster layer (test/fake-exam-ops.ts).
 * Fails (never skips) without /usr/bin/chromium: launchBrowser says so.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readProgress, runExamFlow } from './exam-flow.js';
import { launchBrowser, type LaunchedBrowser } from './harness.js';
import { ensureWebBuilt } from './fake-server.js';
import { startFakeExamServer, type FakeExamServer } from './fake-exam-server.js';

const SHOTS = process.env.KD_SCREENSHOTS ?? '/tmp/kubedrill-ui';
const marker = (scenario: string, what = 'all') => `echo ${what} > /tmp/kubedrill-fake-exam-{{kind}}-${scenario}; echo done-$((6*7))`;

describe('mock exam in Chromium (fake clusters)', () => {
  let srv: FakeExamServer;
  let b: LaunchedBrowser;

  beforeAll(async () => {
    await ensureWebBuilt();
    srv = await startFakeExamServer({ stepMs: 150 });
    b = await launchBrowser();
  }, 180_000);

  afterAll(async () => {
    await b?.close();
    await srv?.close();
  });

  it('3 tasks on 2 clusters: start, work in the terminals, flag, note, submit → results that match the cluster state', async () => {
    const r = await runExamFlow(b.page, srv.url, {
      examId: 'sample-3-tasks',
      commands: {
        0: [{ run: marker('kubelet-stopped'), node: 'worker', expect: /^done-42$/m }],
        1: [{ run: marker('service-no-endpoints', 'ready-endpoints'), expect: /^done-42$/m }],
      },
      flag: [1],
      note: 'task 3: look at the default annotation',
      expectTaskPercent: { 0: 100, 1: 40, 2: 0 },
      expectTotal: 56,
      screenshotPrefix: `${SHOTS}-exam`,
    });
    expect(r.estimateText).toMatch(/about \d+:\d\d \(2 clusters, 2 at a time/);
    expect(r.passed).toBe(false);
    expect(r.tasks.every((t) => t.hasSolution)).toBe(true);
    const failed = r.tasks[1]!.checks.find((c) => !c.passed)!;
    expect(failed.id).toBe('service-serves');
    expect(failed.text).toMatch(/Expected.*Found/);
    expect(r.domains.map((d) => d.domain).sort()).toEqual(['services-networking', 'storage', 'troubleshooting']);
    await expect(b.page.locator('.task-result[data-task="1"] h2').textContent()).resolves.toContain('⚑');

    // Graded once, stored, clusters gone, shells closed.
    const stored = srv.store.getExamRun(r.runId)!;
    expect(stored).toMatchObject({ state: 'finished', totalPercent: 56, notes: 'task 3: look at the default annotation', endReason: 'submitted' });
    expect(srv.ops.clusters.size).toBe(0);
    expect(srv.created.terminals.size).toBe(0);
    // The terminal tabs followed the task's cluster: both clusters' shells were used.
    expect(srv.ops.created).toHaveLength(2);
  }, 120_000);

  it('shows the attempt on the progress page after a server restart', async () => {
    await srv.restart();
    const p = await readProgress(b.page, srv.url);
    expect(p.exams[0]!.text).toMatch(/Sample mock exam.*56% fail/);
    expect(p.history.filter((h) => h.mode === 'exam').map((h) => h.scenario).sort()).toEqual(['default-storageclass-switch', 'kubelet-stopped', 'service-no-endpoints']);
    expect(p.history.find((h) => h.scenario === 'kubelet-stopped')!.text).toContain('100%');
    expect(p.suggestions.length).toBeGreaterThan(0);
    await b.page.screenshot({ path: `${SHOTS}-progress.png`, fullPage: true });
  }, 60_000);

  it('time-out: the short exam keeps its deadline through a reload and a server restart, then grades itself', async () => {
    const { page } = b;
    let runId = '';
    const r = await runExamFlow(page, srv.url, {
      examId: 'test-timeout',
      commands: { 0: [{ run: marker('default-storageclass-switch', 'fast-local-default'), expect: /^done-42$/m }] },
      note: 'written before the restart',
      finish: 'timeout',
      expectTaskPercent: { 0: 30 },
      gradeTimeoutMs: 150_000,
      screenshotPrefix: `${SHOTS}-timeout`,
      beforeFinish: async (ctx) => {
        runId = ctx.runId;
        // The countdown is the server's; a server restart keeps the deadline, the notes and the clusters.
        const before = srv.exams.view(runId);
        const left = Number(await page.locator('[data-testid=countdown]').getAttribute('data-remaining-ms'));
        expect(left).toBeLessThanOrEqual(90_000);
        expect(Math.abs(left - (Date.parse(before.deadlineAt!) - Date.now()))).toBeLessThan(3000);
        await srv.restart();
        expect(srv.exams.view(runId)).toMatchObject({ state: 'running', deadlineAt: before.deadlineAt, notes: 'written before the restart' });
        await page.reload();
        await page.locator('.exam-main').waitFor({ timeout: 20_000 });
        expect(await page.locator('#notepad').inputValue()).toBe('written before the restart');
        await page.locator('.tabpanel:not([hidden]) .term-wrap[data-status=connected]').waitFor({ timeout: 20_000 }); // the shell works after the restart
      },
    });
    expect(r.totalPercent).toBe(30);
    await expect(page.locator('#exam-results').textContent()).resolves.toMatch(/time ran out after 1:30/);
    expect(srv.store.getExamRun(runId)).toMatchObject({ state: 'finished', endReason: 'timeout' });
  }, 200_000);

  it('has no browser errors apart from sockets dropped by the restarts', () => {
    expect(b.errors.filter((e) => !/WebSocket|ERR_CONNECTION|Failed to load resource/.test(e))).toEqual([]);
  });
});
