/**
 * Runs the browser learner flow against a running Kubedrill server (real or fake engine).
 *
 *   npx tsx test/browser/run-flow.ts --url http://127.0.0.1:4280/ --scenario ID \
 *     [--cmd 'kubectl get nodes' ...] [--node worker] [--expect-percent 100] \
 *     [--provision-timeout 600] [--screenshot /tmp/kd-flow] [--end]
 *
 * Exits 0 when the flow (and the expected percentage, if given) passes.
 */
import { Command } from 'commander';
import { endSession, launchBrowser, runLearnerFlow } from './harness.js';

const collect = (v: string, prev: string[] = []) => [...prev, v];
const o = new Command()
  .requiredOption('--url <url>', 'Kubedrill URL', 'http://127.0.0.1:4280/')
  .requiredOption('--scenario <id>', 'scenario id')
  .option('--cmd <line>', 'command typed into the terminal (repeatable; {{session}} = session id)', collect, [])
  .option('--node <alias>', 'terminal tab to type in')
  .option('--expect-percent <n>', 'required score percentage', Number)
  .option('--provision-timeout <s>', 'seconds to wait for the cluster', Number, 600)
  .option('--screenshot <prefix>', 'screenshot path prefix, e.g. /tmp/kd-flow')
  .option('--end', 'end the session afterwards (deletes the cluster)')
  .parse()
  .opts<{ url: string; scenario: string; cmd: string[]; node?: string; expectPercent?: number; provisionTimeout: number; screenshot?: string; end?: boolean }>();

const b = await launchBrowser();
let code = 0;
try {
  const r = await runLearnerFlow(b.page, o.url, {
    scenarioId: o.scenario,
    commands: o.cmd,
    node: o.node,
    expectPercent: o.expectPercent,
    provisionTimeoutMs: o.provisionTimeout * 1000,
    checkTimeoutMs: 120_000,
    screenshotPrefix: o.screenshot,
    log: (l) => console.log(`[${new Date().toISOString().slice(11, 23)}] ${l}`),
  });
  for (const c of r.checks) console.log(`${c.passed ? 'PASS' : 'FAIL'} ${c.text}`);
  console.log(`session ${r.sessionId}: ${r.score}/${r.maxScore} (${r.percent}%)`);
  if (o.end) await endSession(b.page);
} catch (e) {
  console.error(`flow failed: ${(e as Error).message}`);
  if (o.screenshot) await b.page.screenshot({ path: `${o.screenshot}-error.png` }).catch(() => {});
  code = 1;
}
if (b.errors.length) console.error(`browser errors:\n${b.errors.join('\n')}`);
await b.close();
process.exit(code);
