/**
 * The mock exam flow in a real browser, reusable against the fake cluster
 * layer (test/browser/exam.test.ts) and against the real engine and kind
 * clusters (test/browser/run-exam-flow.ts):
 *
 *   exam list → start (estimate shown) → set-up progress → exam screen →
 *   per task: read it, type commands in its cluster's terminal tabs →
 *   flag tasks → write a note → submit (confirm) or wait for the time-out →
 *   results page (total, per task, per check, per domain, solutions).
 *
 * Command placeholders: {{kind}} = the kind cluster of the current task,
 * {{node:<alias>}} = that cluster's node name for an alias, {{run}} = run id.
 */
import type { Page } from 'playwright-core';
import { escapeRegExp, openTab, screenshotter, typeCommand, waitForTerminalText } from './harness.js';

export type ExamCommand = string | { run: string; node?: string; expect?: RegExp | string; timeoutMs?: number };

export interface ExamFlowOptions {
  examId: string;
  /** Commands per task index, typed in that task's terminal (node alias per command, default the first tab). */
  commands?: Record<number, ExamCommand[]>;
  /** Task indexes to flag (and one to unflag again, to exercise both ways). */
  flag?: number[];
  /** Text for the notepad; checked to be saved on the server. */
  note?: string;
  /** 'submit' (default) clicks Submit → confirm; 'timeout' waits for the clock to run out. */
  finish?: 'submit' | 'timeout';
  /** Fail unless the total equals this. */
  expectTotal?: number;
  /** Per task index: the expected percentage. */
  expectTaskPercent?: Record<number, number>;
  /** How long all clusters may take (default 60 s; ~15 min for real kind). */
  provisionTimeoutMs?: number;
  /** How long grading may take after submit/time-out (default 60 s). */
  gradeTimeoutMs?: number;
  /** Called after the work (commands, flags, note) and before submit / the time-out, e.g. to restart the server. */
  beforeFinish?: (ctx: { page: Page; runId: string }) => Promise<void>;
  screenshotPrefix?: string;
  log?: (line: string) => void;
}

export interface ExamFlowResult {
  runId: string;
  estimateText: string;
  clustersSeen: string[];
  totalPercent: number;
  passed: boolean;
  tasks: Array<{ index: number; percent: number; checks: Array<{ id: string; passed: boolean; text: string }>; hasSolution: boolean }>;
  domains: Array<{ domain: string; text: string }>;
  screenshots: string[];
}

export async function runExamFlow(page: Page, baseUrl: string, o: ExamFlowOptions): Promise<ExamFlowResult> {
  const log = o.log ?? (() => {});
  const { shots, shot } = screenshotter(page, o.screenshotPrefix, log);

  await page.goto(new URL('#/exams', baseUrl).toString());
  const card = page.locator(`[data-exam="${o.examId}"]`);
  await card.waitFor({ timeout: 15_000 });
  const estimateText = ((await card.locator('[data-testid=estimate]').textContent()) ?? '').trim();
  log(`estimate: ${estimateText}`);
  await shot('list');
  await card.getByRole('button', { name: /start exam/i }).click();
  await page.waitForURL(/#\/exam\/[a-f0-9]{12}$/, { timeout: 30_000 });
  const runId = /#\/exam\/([a-f0-9]{12})$/.exec(page.url())![1]!;
  log(`exam run ${runId}`);

  // Set-up progress: watch the clusters until the exam screen appears.
  const clustersSeen = new Set<string>();
  const deadline = Date.now() + (o.provisionTimeoutMs ?? 60_000);
  let progressShot = false;
  for (;;) {
    const state = await page.locator('.exam-page').getAttribute('data-state').catch(() => null);
    if (state === 'running' && (await page.locator('.exam-main').count())) break;
    if (state === 'failed' || state === 'cancelled') {
      await shot('failed');
      throw new Error(`exam set-up ${state}: ${await page.locator('.log').textContent().catch(() => '')}`);
    }
    for (const c of await page.locator('.exam-cluster').evaluateAll((els) => els.map((e) => `${(e as HTMLElement).dataset.cluster}:${(e as HTMLElement).dataset.state}`))) clustersSeen.add(c);
    if (!progressShot && (await page.locator('.exam-cluster').count())) {
      await shot('setup');
      progressShot = true;
    }
    if (Date.now() > deadline) throw new Error(`exam not running after ${o.provisionTimeoutMs ?? 60_000} ms (state ${state})`);
    await page.waitForTimeout(250);
  }
  log(`running; clusters seen: ${[...clustersSeen].join(' ')}`);
  await page.locator('[data-testid=countdown]').waitFor();

  const tasks = await page.locator('.task-nav li').count();
  for (let i = 0; i < tasks; i++) {
    await page.locator(`.task-nav li[data-task="${i}"] button`).click();
    await page.locator('.exam-task .task .md').waitFor();
    const cmds = o.commands?.[i] ?? [];
    if (!cmds.length) continue;
    const kind = (await page.locator('.terminals').getAttribute('data-cluster-kind')) ?? '';
    const fill = (s: string) =>
      s
        .replaceAll('{{kind}}', kind)
        .replaceAll('{{run}}', runId)
        .replace(/\{\{node:([a-z0-9-]+)\}\}/g, (_m, alias: string) => `${kind}-${alias}`);
    for (const c of cmds) {
      const cmd = typeof c === 'string' ? { run: c } : c;
      if (cmd.node) await page.locator(`#tab-${kind}-${cmd.node}`).click();
      await openTab(page);
      const line = fill(cmd.run);
      log(`task ${i + 1} $ ${line}`);
      await typeCommand(page, line);
      if (cmd.expect) {
        const re = typeof cmd.expect === 'string' ? new RegExp(escapeRegExp(fill(cmd.expect))) : cmd.expect;
        // Node aliases repeat across clusters: look at this cluster's terminal by its full name.
        await waitForTerminalText(page, re, { node: cmd.node ? `${kind}-${cmd.node}` : undefined, timeoutMs: cmd.timeoutMs ?? 60_000 });
      } else await page.waitForTimeout(500);
    }
  }

  for (const i of o.flag ?? []) {
    await page.locator(`.task-nav li[data-task="${i}"] button`).click();
    await page.locator('button[data-action=flag]').click();
    await page.waitForSelector(`.task-nav li[data-task="${i}"][data-flagged=true]`, { timeout: 10_000 });
    log(`flagged task ${i + 1}`);
  }
  if (o.note !== undefined) {
    await page.locator('#notepad').fill(o.note);
    await page.waitForSelector('[data-testid=notes-status][data-status=saved]', { timeout: 10_000 });
    log('note saved');
  }
  await shot('exam');
  if (o.beforeFinish) await o.beforeFinish({ page, runId });

  if ((o.finish ?? 'submit') === 'submit') {
    await page.locator('button[data-action=submit]').click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'Submit and grade' }).click();
    log('submitted');
  } else log('waiting for the time-out');
  await page.locator('#exam-results').waitFor({ timeout: o.gradeTimeoutMs ?? 60_000 + (o.finish === 'timeout' ? 10 * 60_000 : 0) });
  const res = page.locator('#exam-results');
  const totalPercent = Number(await res.getAttribute('data-total'));
  const passed = (await res.getAttribute('data-passed')) === 'true';
  const taskResults = await page.locator('.task-result').evaluateAll((els) =>
    els.map((e) => ({
      index: Number((e as HTMLElement).dataset.task),
      percent: Number((e as HTMLElement).dataset.percent),
      checks: [...e.querySelectorAll<HTMLElement>('li.check')].map((c) => ({ id: c.dataset.check ?? '', passed: c.dataset.passed === 'true', text: (c.textContent ?? '').replace(/\s+/g, ' ').trim() })),
      hasSolution: !!e.querySelector('.solution-details .solution'),
    })),
  );
  const domains = await page.locator('.domain-table tbody tr').evaluateAll((els) => els.map((e) => ({ domain: (e as HTMLElement).dataset.domain ?? '', text: (e.textContent ?? '').trim() })));
  await shot('results');
  log(`total ${totalPercent}% (${passed ? 'pass' : 'fail'}); tasks ${taskResults.map((t) => `${t.index + 1}:${t.percent}%`).join(' ')}`);
  if (o.expectTotal !== undefined && totalPercent !== o.expectTotal) throw new Error(`expected a total of ${o.expectTotal}% but got ${totalPercent}%`);
  for (const [i, want] of Object.entries(o.expectTaskPercent ?? {})) {
    const got = taskResults.find((t) => t.index === Number(i))?.percent;
    if (got !== want) {
      const failed = taskResults.find((t) => t.index === Number(i))?.checks.filter((c) => !c.passed).map((c) => `  ✗ ${c.text}`) ?? [];
      throw new Error(`task ${Number(i) + 1}: expected ${want}% but got ${got}%\n${failed.join('\n')}`);
    }
  }
  return { runId, estimateText, clustersSeen: [...clustersSeen], totalPercent, passed, tasks: taskResults, domains, screenshots: shots };
}

/** Opens the progress page and returns its rows (history, best scores, exams). */
export async function readProgress(page: Page, baseUrl: string) {
  await page.goto(new URL('#/progress', baseUrl).toString());
  await page.locator('[data-testid=domains]').waitFor({ timeout: 15_000 });
  const history = await page.locator('[data-testid=history] tbody tr').evaluateAll((els) =>
    els.map((e) => ({ scenario: (e as HTMLElement).dataset.scenario ?? '', mode: (e as HTMLElement).dataset.mode ?? '', text: (e.textContent ?? '').trim() })),
  );
  const exams = await page.locator('.exam-history li').evaluateAll((els) => els.map((e) => ({ run: (e as HTMLElement).dataset.run ?? '', text: (e.textContent ?? '').trim() })));
  const suggestions = await page.locator('.suggestions li').evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.scenario ?? ''));
  return { history, exams, suggestions };
}
