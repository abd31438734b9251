/**
 * Browser tests: Debian Chromium (playwright-core) against the real HTTP layer
 * and built web app, with the fake engine. They fail (never skip) when
 * /usr/bin/chromium is missing: `./kubedrill test` installs it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, checkAndRead, launchBrowser, openTab, runLearnerFlow, terminalText, typeCommand, waitForTerminalText, type LaunchedBrowser } from './harness.js';
import { ensureWebBuilt, startFakeServer, type FakeServer } from './fake-server.js';
import { markerPath } from '../fake-engine.js';

const SHOTS = process.env.KD_SCREENSHOTS ?? '/tmp/kubedrill-ui';

describe('web UI in Chromium (fake engine)', () => {
  let srv: FakeServer;
  let b: LaunchedBrowser;

  beforeAll(async () => {
    await ensureWebBuilt();
    srv = await startFakeServer({ engine: { stepMs: 200 } });
    b = await launchBrowser();
  }, 180_000);

  afterAll(async () => {
    await b?.close();
    await srv?.close();
  });

  it('loads the list with every scenario and filters by domain', async () => {
    const { page } = b;
    await page.goto(srv.url);
    await page.locator('.scenario-card').first().waitFor();
    expect(await page.locator('.scenario-card').count()).toBe(3);
    await expect(page.locator('[data-scenario=fake-etcd-backup] h3').textContent()).resolves.toBe('Back up etcd to a snapshot file');
    await page.getByRole('button', { name: /^Troubleshooting/ }).click();
    expect(await page.locator('.scenario-card').count()).toBe(1);
    await page.getByRole('button', { name: /^All/ }).click();
    await page.getByLabel('Search scenarios').fill('etcd');
    expect(await page.locator('.scenario-card').count()).toBe(1);
  }, 60_000);

  it('runs the learner flow: progress, task + terminals, a command, Check with per-check results', async () => {
    const r = await runLearnerFlow(b.page, srv.url, {
      scenarioId: 'fake-broken-kubelet',
      commands: [{ run: 'echo kd-$((40+2))', expect: /^kd-42$/m }],
      expectPercent: 30,
      screenshotPrefix: `${SHOTS}-flow`,
    });
    expect(r.stagesSeen).toEqual(expect.arrayContaining(['provisioning', 'ready']));
    expect(r.checks).toHaveLength(3);
    expect(r.checks.filter((c) => c.passed).map((c) => c.id)).toEqual(['control-plane-untouched']);
    const failed = b.page.locator('#results li.check.fail').first();
    await expect(failed.locator('dt').allTextContents()).resolves.toEqual(expect.arrayContaining(['Expected', 'Found']));
    expect(await b.page.locator('.tabs [role=tab]').allTextContents()).toEqual(['control-plane', 'worker']);
    expect(await b.page.locator('.task .md h1').textContent()).toBe('Repair a NotReady worker node');

    // Fix it in the worker's terminal and check again: 100%.
    await openTab(b.page, 'worker');
    await typeCommand(b.page, `echo fixed > ${markerPath(r.sessionId)}; echo done-$((6*7))`);
    await waitForTerminalText(b.page, /done-42/, { node: 'worker' });
    const second = await checkAndRead(b.page);
    expect(second.percent).toBe(100);
    expect(second.checks.every((c) => c.passed)).toBe(true);
    await b.page.screenshot({ path: `${SHOTS}-pass.png` });
  }, 90_000);

  it('reattaches the same shell with its scrollback after a reload', async () => {
    const { page } = b;
    const url = page.url();
    expect(url).toMatch(/#\/session\//);
    await openTab(page, 'control-plane');
    await typeCommand(page, 'KD_KEEP=still-here; echo marker-$((5*5))');
    await waitForTerminalText(page, /marker-25/, { node: 'control-plane' });
    await page.reload();
    await page.locator('.workspace').waitFor();
    await openTab(page, 'control-plane');
    await waitForTerminalText(page, /marker-25/, { node: 'control-plane' }); // replayed
    await typeCommand(page, 'echo keep=$KD_KEEP');
    await waitForTerminalText(page, /keep=still-here/, { node: 'control-plane' }); // same shell
    // The last grade survives the reload too.
    await page.locator('#results').waitFor();
  }, 60_000);

  it('reveals hints one at a time and shows the solution after confirming', async () => {
    const { page } = b;
    await page.getByRole('button', { name: 'Show a hint' }).click();
    await page.locator('.hints li').first().waitFor();
    expect(await page.locator('.hints li').count()).toBe(1);
    await page.getByRole('button', { name: 'Next hint' }).click();
    await page.waitForFunction(() => document.querySelectorAll('.hints li').length === 2);
    expect(await page.getByRole('button', { name: 'Next hint' }).count()).toBe(0);

    await page.getByRole('button', { name: 'Show solution…' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    expect(await page.locator('.solution').count()).toBe(0);
    await page.getByRole('button', { name: 'Show solution…' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Show solution' }).click();
    await page.locator('.solution').waitFor();
    expect(await page.locator('.solution').textContent()).toContain('systemctl restart kubelet');
    expect(await page.locator('#sol-h + .badge').textContent()).toBe('viewed');
    await page.locator('.task-pane').evaluate((el) => (el.scrollTop = el.scrollHeight));
    await page.screenshot({ path: `${SHOTS}-hints.png` });
  }, 60_000);

  it('ends the session and returns to the list', async () => {
    const { page } = b;
    const id = /#\/session\/(\w+)/.exec(page.url())![1]!;
    await page.getByRole('button', { name: /^End$/ }).click();
    await page.getByRole('button', { name: 'End and delete cluster' }).click();
    await page.waitForURL(/#\/$/);
    await page.locator('.scenario-card').first().waitFor();
    expect(srv.engine.getSession(id).stage).toBe('ended');
    expect(srv.created.terminals.size).toBe(0);
  }, 60_000);

  it('has no browser console errors', () => {
    expect(b.errors).toEqual([]);
  });

  it('shows a clear message for a session this browser does not own', async () => {
    const { page } = b;
    await page.goto(`${srv.url}#/session/abcdef0123`);
    await page.getByText('Session not available').waitFor();
    expect(await terminalText(page)).toBe('');
  }, 30_000);
});
