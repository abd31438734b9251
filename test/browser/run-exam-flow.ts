/**
 * Runs the mock exam flow in Chromium against a running Kubedrill server
 * (real engine + kind, or the fake one).
 *
 *   npx tsx test/browser/run-exam-flow.ts --url http://127.0.0.1:4280/ --preset sample-real \
 *       --screenshot /tmp/kd-exam
 *   npx tsx test/browser/run-exam-flow.ts --url ... --exam sample-3-tasks \
 *       --task-cmd '0:worker:systemctl enable --now kubelet' --flag 1 --note 'hi' --expect-total 40
 *   npx tsx test/browser/run-exam-flow.ts --url ... --progress-only      # after a server restart
 *
 * --task-cmd is <task index>:<node alias or "-" for the first tab>:<command>[::<expected output>],
 * with {{kind}} (the task's kind cluster), {{node:<alias>}} and {{run}} filled in.
 * Exits 0 when the flow and every expectation pass.
 */
import { Command } from 'commander';
import { readProgress, runExamFlow, type ExamCommand, type ExamFlowOptions } from './exam-flow.js';
import { launchBrowser } from './harness.js';

import { PRESETS } from './exam-presets.js';

const collect = (v: string, prev: string[] = []) => [...prev, v];
const o = new Command()
  .requiredOption('--url <url>', 'Kubedrill URL', 'http://127.0.0.1:4280/')
  .option('--preset <name>', `a ready-made flow (${Object.keys(PRESETS).join(', ')})`)
  .option('--exam <id>', 'exam id')
  .option('--task-cmd <spec>', 'index:alias:command[::expect] (repeatable)', collect, [])
  .option('--flag <index>', 'flag a task (repeatable)', collect, [])
  .option('--note <text>', 'notepad text')
  .option('--timeout-path', 'do not submit: wait for the time-out')
  .option('--expect-total <n>', 'required total percentage', Number)
  .option('--expect-task <i=pct>', 'required task percentage (repeatable)', collect, [])
  .option('--provision-timeout <s>', 'seconds to wait for the clusters', Number, 1200)
  .option('--grade-timeout <s>', 'seconds to wait for the results after submit / time-out', Number, 600)
  .option('--screenshot <prefix>', 'screenshot path prefix, e.g. /tmp/kd-exam')
  .option('--progress-only', 'only read the progress page (e.g. after restarting the server)')
  .parse()
  .opts<{
    url: string;
    preset?: string;
    exam?: string;
    taskCmd: string[];
    flag: string[];
    note?: string;
    timeoutPath?: boolean;
    expectTotal?: number;
    expectTask: string[];
    provisionTimeout: number;
    gradeTimeout: number;
    screenshot?: string;
    progressOnly?: boolean;
  }>();

const log = (l: string) => console.log(`[${new Date().toISOString().slice(11, 23)}] ${l}`);
const b = await launchBrowser();
let code = 0;
try {
  if (o.progressOnly) {
    const p = await readProgress(b.page, o.url);
    for (const e of p.exams) console.log(`exam ${e.run}: ${e.text}`);
    for (const h of p.history) console.log(`${h.mode.padEnd(8)} ${h.scenario.padEnd(32)} ${h.text}`);
    console.log(`suggestions: ${p.suggestions.join(', ') || '(none)'}`);
    if (o.screenshot) await b.page.screenshot({ path: `${o.screenshot}-progress.png`, fullPage: true });
  } else {
    const preset = o.preset ? PRESETS[o.preset] : {};
    if (!preset) throw new Error(`unknown preset ${o.preset}`);
    const commands: Record<number, ExamCommand[]> = { ...(preset.commands ?? {}) };
    for (const spec of o.taskCmd) {
      const m = /^(\d+):([a-z0-9-]+|-):(.*?)(?:::(.*))?$/s.exec(spec);
      if (!m) throw new Error(`--task-cmd ${JSON.stringify(spec)}: expected index:alias:command[::expect]`);
      (commands[Number(m[1])] ??= []).push({ run: m[3]!, node: m[2] === '-' ? undefined : m[2], expect: m[4] });
    }
    const expectTaskPercent = { ...(preset.expectTaskPercent ?? {}) };
    for (const e of o.expectTask) {
      const [i, p] = e.split('=');
      expectTaskPercent[Number(i)] = Number(p);
    }
    const examId = o.exam ?? preset.examId;
    if (!examId) throw new Error('give --exam or --preset');
    const r = await runExamFlow(b.page, o.url, {
      ...preset,
      examId,
      commands,
      flag: o.flag.length ? o.flag.map(Number) : preset.flag,
      note: o.note ?? preset.note,
      finish: o.timeoutPath ? 'timeout' : 'submit',
      expectTotal: o.expectTotal ?? preset.expectTotal,
      expectTaskPercent,
      provisionTimeoutMs: o.provisionTimeout * 1000,
      gradeTimeoutMs: o.gradeTimeout * 1000,
      screenshotPrefix: o.screenshot,
      log,
    });
    for (const t of r.tasks) {
      console.log(`task ${t.index + 1}: ${t.percent}%`);
      for (const c of t.checks) console.log(`  ${c.passed ? 'PASS' : 'FAIL'} ${c.text}`);
    }
    for (const d of r.domains) console.log(`domain ${d.text}`);
    console.log(`exam run ${r.runId}: ${r.totalPercent}% (${r.passed ? 'pass' : 'fail'})`);
  }
} catch (e) {
  console.error(`exam flow failed: ${(e as Error).message}`);
  if (o.screenshot) await b.page.screenshot({ path: `${o.screenshot}-error.png` }).catch(() => {});
  code = 1;
}
if (b.errors.length) console.error(`browser errors:\n${b.errors.join('\n')}`);
await b.close();
process.exit(code);
