/**
 * Browser harness: drives Debian Chromium with playwright-core through the
 * learner flow. Reusable against the fake engine (test/browser/ui.test.ts)
 * and against the real engine and a real kind cluster:
 *
 *   npx tsx server/main.ts --port 4280 &
 *   npx tsx test/browser/run-flow.ts --url http://127.0.0.1:4280/ \
 *       --scenario kubelet-stopped --cmd 'systemctl start kubelet' \
 *       --expect-percent 100 --screenshot /tmp/kd-real.png
 *
 * or from code: runLearnerFlow(page, baseUrl, { scenarioId, commands, expectPercent }).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = process.env.KUBEDRILL_CHROMIUM ?? '/usr/bin/chromium';

export interface LaunchedBrowser {
  context: BrowserContext;
  page: Page;
  /** Console errors and page errors seen so far. */
  errors: string[];
  close(): Promise<void>;
}

export async function launchBrowser(opts: { viewport?: { width: number; height: number } } = {}): Promise<LaunchedBrowser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: apt-get install -y chromium (or set KUBEDRILL_CHROMIUM)`);
  const userDataDir = mkdtempSync(path.join(os.tmpdir(), 'kd-chromium-'));
  // A fresh profile every run (playwright passes it as --user-data-dir).
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: opts.viewport ?? { width: 1440, height: 900 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  await context.grantPermissions(['clipboard-read', 'clipboard-write']).catch(() => {});
  const page = context.pages()[0] ?? (await context.newPage());
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  return {
    context,
    page,
    errors,
    async close() {
      await context.close().catch(() => {});
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/** A command typed into a node terminal, optionally waiting for output matching `expect`. */
export type FlowCommand = string | { run: string; expect?: RegExp | string; node?: string; timeoutMs?: number };

export interface FlowOptions {
  scenarioId: string;
  /** Typed in order; `{{session}}` is replaced by the session id. */
  commands: FlowCommand[];
  /** Fail unless the Check result has exactly this percentage. */
  expectPercent?: number;
  /** Node alias of the terminal tab to type in (default: the first tab). */
  node?: string;
  /** How long the cluster may take to become ready. Default 60 s (use ~10 min for real kind). */
  provisionTimeoutMs?: number;
  /** How long Check may take. Default 30 s. */
  checkTimeoutMs?: number;
  /** Where to save screenshots (progress, workspace, result); none when omitted. */
  screenshotPrefix?: string;
  log?: (line: string) => void;
}

export interface FlowResult {
  sessionId: string;
  /** Stages seen on the progress page (data-stage values with state active or done). */
  stagesSeen: string[];
  score: number;
  maxScore: number;
  percent: number;
  checks: Array<{ id: string; passed: boolean; text: string }>;
  screenshots: string[];
}

/** `s` as a literal inside a RegExp. */
export const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Screenshots `<prefix>-<name>.png` (none without a prefix); `shots` lists the files written. */
export function screenshotter(page: Page, prefix: string | undefined, log: (line: string) => void) {
  const shots: string[] = [];
  const shot = async (name: string) => {
    if (!prefix) return;
    const p = `${prefix}-${name}.png`;
    await page.screenshot({ path: p });
    shots.push(p);
    log(`screenshot ${p}`);
  };
  return { shots, shot };
}

/** Text of the whole terminal buffer (scrollback included) for the tab of `node` (name or alias), or the visible one. */
export async function terminalText(page: Page, node?: string): Promise<string> {
  return page.evaluate((n) => {
    const wraps = [...document.querySelectorAll<HTMLElement>('.term-wrap')];
    const wrap = n ? wraps.find((w) => w.dataset.node === n || w.dataset.node?.endsWith(`-${n}`)) : wraps.find((w) => !w.closest('[hidden]'));
    const host = wrap?.querySelector('.term-host') as (HTMLElement & { __kdTerm?: { buffer: { active: { length: number; getLine(i: number): { translateToString(trim: boolean): string } | undefined } } } }) | null;
    const term = host?.__kdTerm;
    if (!term) return '';
    const b = term.buffer.active;
    const out: string[] = [];
    for (let i = 0; i < b.length; i++) out.push(b.getLine(i)?.translateToString(true) ?? '');
    return out.join('\n');
  }, node ?? null);
}

export async function waitForTerminalText(page: Page, re: RegExp, opts: { node?: string; timeoutMs?: number } = {}): Promise<string> {
  const t0 = Date.now();
  for (;;) {
    const text = await terminalText(page, opts.node);
    if (re.test(text)) return text;
    if (Date.now() - t0 > (opts.timeoutMs ?? 15_000)) throw new Error(`terminal never showed ${re}; last lines:\n${text.trimEnd().split('\n').slice(-15).join('\n')}`);
    await page.waitForTimeout(100);
  }
}

/** Selects the terminal tab for a node alias (or full name) and waits until its shell is connected. */
export async function openTab(page: Page, node?: string): Promise<void> {
  if (node) {
    const tab = page.locator(`.tabs [role=tab]`, { hasText: new RegExp(`^${escapeRegExp(node)}$`) });
    if ((await tab.count()) > 0) await tab.first().click();
    else await page.locator(`#tab-${node}`).click();
  }
  await page.waitForSelector('.tabpanel:not([hidden]) .term-wrap[data-status=connected]', { timeout: 30_000 });
}

/** Types a line into the visible terminal and presses Enter. */
export async function typeCommand(page: Page, line: string): Promise<void> {
  await page.locator('.tabpanel:not([hidden]) .xterm-helper-textarea').focus();
  await page.keyboard.type(line, { delay: 5 });
  await page.keyboard.press('Enter');
}

/** Clicks Check and reads the result panel. */
export async function checkAndRead(page: Page, timeoutMs = 30_000): Promise<Omit<FlowResult, 'sessionId' | 'stagesSeen' | 'screenshots'>> {
  const before = await page.evaluate(() => document.querySelector<HTMLElement>('#results')?.dataset.gradedAt ?? null);
  await page.locator('button[data-action=check]').click();
  await page.waitForFunction(
    (prev) => {
      const el = document.querySelector<HTMLElement>('#results');
      const btn = document.querySelector('button[data-action=check]') as HTMLButtonElement | null;
      return !!el && el.dataset.gradedAt !== prev && !!btn && !btn.disabled;
    },
    before,
    { timeout: timeoutMs },
  );
  const scoreText = (await page.locator('[data-testid=score]').textContent()) ?? '';
  const m = /(\d+)\s*\/\s*(\d+)\s*points.*?(\d+)%/.exec(scoreText);
  if (!m) throw new Error(`cannot read the score from ${JSON.stringify(scoreText)}`);
  const checks = await page.locator('#results li.check').evaluateAll((els) =>
    els.map((e) => ({ id: (e as HTMLElement).dataset.check ?? '', passed: (e as HTMLElement).dataset.passed === 'true', text: (e.textContent ?? '').replace(/\s+/g, ' ').trim() })),
  );
  return { score: Number(m[1]), maxScore: Number(m[2]), percent: Number(m[3]), checks };
}

/**
 * The whole learner flow: open the list, start the scenario, watch the
 * progress page, wait for the task and terminal, type the commands, press
 * Check and read the per-check results.
 */
export async function runLearnerFlow(page: Page, baseUrl: string, o: FlowOptions): Promise<FlowResult> {
  const log = o.log ?? (() => {});
  const { shots, shot } = screenshotter(page, o.screenshotPrefix, log);
  await page.goto(baseUrl);
  const card = page.locator(`[data-scenario="${o.scenarioId}"]`);
  await card.waitFor({ timeout: 15_000 });
  await shot('list');
  await card.getByRole('button', { name: /start/i }).click();
  await page.waitForURL(/#\/session\/[A-Za-z0-9_-]+$/, { timeout: 30_000 });
  const sessionId = /#\/session\/([A-Za-z0-9_-]+)$/.exec(page.url())![1]!;
  log(`session ${sessionId}`);

  // Progress page: record the stages as they tick.
  const stagesSeen = new Set<string>();
  const deadline = Date.now() + (o.provisionTimeoutMs ?? 60_000);
  let progressShot = false;
  for (;;) {
    const stage = await page.locator('.session-page').getAttribute('data-stage').catch(() => null);
    if (stage) stagesSeen.add(stage);
    if (stage === 'failed') {
      await shot('failed');
      const log = await page.locator('.log').textContent().catch(() => '');
      throw new Error(`provisioning failed:\n${log}`);
    }
    if (await page.locator('.workspace').count()) break;
    if (!progressShot && (await page.locator('.stages').count()) && (await page.locator('.log-line').count()) > 2) {
      await shot('progress');
      progressShot = true;
    }
    if (Date.now() > deadline) throw new Error(`session not ready after ${o.provisionTimeoutMs ?? 60_000} ms (stage ${stage})`);
    await page.waitForTimeout(200);
  }
  log(`ready; stages seen: ${[...stagesSeen].join(' ')}`);
  await page.locator('.task .md').waitFor();
  await openTab(page, o.node);

  for (const c of o.commands) {
    const cmd = typeof c === 'string' ? { run: c } : c;
    if (cmd.node) await openTab(page, cmd.node);
    const line = cmd.run.replaceAll('{{session}}', sessionId);
    log(`$ ${line}`);
    await typeCommand(page, line);
    if (cmd.expect) {
      const re = typeof cmd.expect === 'string' ? new RegExp(escapeRegExp(cmd.expect)) : cmd.expect;
      await waitForTerminalText(page, re, { node: cmd.node, timeoutMs: cmd.timeoutMs });
    } else await page.waitForTimeout(300);
  }
  await shot('workspace');
  const res = await checkAndRead(page, o.checkTimeoutMs ?? 30_000);
  await page.locator('#results').scrollIntoViewIfNeeded();
  await shot('result');
  log(`score ${res.score}/${res.maxScore} (${res.percent}%)`);
  if (o.expectPercent !== undefined && res.percent !== o.expectPercent) {
    const failed = res.checks.filter((c) => !c.passed).map((c) => `  ✗ ${c.text}`);
    throw new Error(`expected ${o.expectPercent}% but got ${res.percent}%:\n${failed.join('\n')}`);
  }
  return { sessionId, stagesSeen: [...stagesSeen], ...res, screenshots: shots };
}

/** Ends the session through the UI (End → confirm) and waits for the list. */
export async function endSession(page: Page): Promise<void> {
  await page.getByRole('button', { name: /^end$/i }).click();
  await page.getByRole('button', { name: /end and delete cluster/i }).click();
  await page.waitForURL(/#\/$/, { timeout: 120_000 });
}
