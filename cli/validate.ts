/**
 * `kubedrill validate <pack>`: proves every scenario of a pack on real
 * clusters. For each scenario, on a fresh cluster: bring up (setup +
 * faults), grade — every check must fail except those marked
 * passesBeforeFix — apply the reference solution, grade again until 100 %
 * (polling), delete the cluster. --runs 2 repeats it on a new cluster (the
 * flake check). Each of a scenario's alternativeSolutions also runs once, on
 * its own fresh cluster, and must reach 100 % too: the checks grade state, so
 * every reasonable path has to pass, not only the reference one. Results
 * print as they come and can be written as JUnit XML.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { ClusterDriver } from '../clusters/driver.js';
import { KindDockerDriver } from '../clusters/kind-docker.js';
import type { GradeReport } from '../graders/types.js';
import { applySolution, bringUp, gradeCluster, teardown, type LifecycleContext } from '../server/engine/lifecycle.js';
import { nodeImageForScenario, resolveNodeImage } from '../server/engine/node-image.js';
import { ClusterRegistry } from '../server/engine/registry.js';
import { loadPack } from '../server/scenarios/loader.js';
import type { Scenario } from '../server/scenarios/types.js';
import { randomBytes } from 'node:crypto';

export interface ValidateOptions {
  scenarios?: string[]; // ids; default all
  runs?: number; // default 1
  concurrency?: number; // clusters at once; default 1
  junit?: string; // path for JUnit XML
  keepFailed?: boolean; // leave a failed scenario's cluster for debugging
  solveTimeoutSeconds?: number; // polling after the solution; default 180
  /** Re-run a failed scenario on a fresh cluster this many times; a pass on retry is reported as flaky. */
  retries?: number;
  /** Also prove each scenario's alternativeSolutions (default true). */
  alternatives?: boolean;
  driver?: ClusterDriver;
  nodeImage?: string;
  out?: (line: string) => void;
}

export interface ScenarioRun {
  scenario: string;
  run: number;
  /** The alternative solution proven in this run; absent = the reference solution. */
  alternative?: string;
  ok: boolean;
  /** Failed first, passed on a retry: the problems of the failed attempt(s) stay in `problems`. */
  flaky?: boolean;
  problems: string[];
  before?: GradeReport;
  after?: GradeReport;
  seconds: { total: number; bringUp: number; solve: number; teardown: number };
}

/** Problems with a grade taken right after the faults (empty = as expected). */
export function problemsBeforeFix(scenario: Scenario, report: GradeReport): string[] {
  const problems: string[] = [];
  for (const r of report.checks) {
    const check = scenario.checks.find((c) => c.id === r.id);
    if (r.passed && !check?.passesBeforeFix) {
      problems.push(`check "${r.id}" already passes before the fix (mark it passesBeforeFix with a reason, or fix the fault)`);
    }
  }
  return problems;
}

export function problemsAfterFix(report: GradeReport): string[] {
  return report.checks
    .filter((r) => !r.passed)
    .map((r) => `check "${r.id}" fails after the reference solution: expected ${r.expected ?? '?'}, found ${r.actual ?? '?'}${r.error ? ` (${r.error})` : ''}`);
}

export function runName(r: { scenario: string; run: number; alternative?: string }): string {
  return `${r.scenario}#${r.run}${r.alternative ? `/${r.alternative}` : ''}`;
}

export async function validateScenario(
  scenario: Scenario,
  run: number,
  env: { driver: ClusterDriver; nodeImage: string; registry: ClusterRegistry; out: (l: string) => void; opts: ValidateOptions },
  alternative?: string,
): Promise<ScenarioRun> {
  const cluster = `kd-v${randomBytes(3).toString('hex')}`;
  const result: ScenarioRun = { scenario: scenario.id, run, alternative, ok: false, problems: [], seconds: { total: 0, bringUp: 0, solve: 0, teardown: 0 } };
  const tag = `[${runName(result)}]`;
  const t0 = Date.now();
  let lastStage = '';
  const ctx: LifecycleContext = {
    driver: env.driver,
    scenario,
    cluster,
    nodeImage: env.nodeImage,
    nodes: [],
    log: (l) => (process.env.KUBEDRILL_VERBOSE ? env.out(`${tag} ${l}`) : undefined),
    stage: (s) => {
      if (s !== lastStage) env.out(`${tag} ${s}`);
      lastStage = s;
    },
  };
  await env.registry.claim(cluster);
  try {
    ctx.nodeImage = await nodeImageForScenario(env.driver, scenario, env.nodeImage);
    await bringUp(ctx);
    result.seconds.bringUp = (Date.now() - t0) / 1000;
    result.before = await gradeCluster(ctx);
    env.out(`${tag} after faults: ${result.before.score}/${result.before.maxScore} (${result.before.percent}%)`);
    result.problems.push(...problemsBeforeFix(scenario, result.before));
    const t1 = Date.now();
    env.out(`${tag} applying ${alternative ? `the alternative solution "${alternative}"` : 'the reference solution'}`);
    await applySolution(ctx, alternative);
    result.after = await gradeCluster(ctx, { timeoutSeconds: env.opts.solveTimeoutSeconds ?? 180, pollSeconds: 5 });
    result.seconds.solve = (Date.now() - t1) / 1000;
    env.out(`${tag} after solution: ${result.after.score}/${result.after.maxScore} (${result.after.percent}%)`);
    result.problems.push(...problemsAfterFix(result.after));
  } catch (e) {
    result.problems.push(`error: ${(e as Error).message}`);
  }
  result.ok = result.problems.length === 0;
  const t2 = Date.now();
  if (result.ok || !env.opts.keepFailed) {
    await teardown({ driver: env.driver, cluster, log: () => {} }).catch((e) => result.problems.push(`teardown: ${(e as Error).message}`));
    env.registry.release(cluster);
  } else {
    env.out(`${tag} kept cluster ${cluster} for debugging (kind delete cluster --name ${cluster})`);
  }
  result.seconds.teardown = (Date.now() - t2) / 1000;
  result.seconds.total = (Date.now() - t0) / 1000;
  env.out(`${tag} ${result.ok ? 'PASS' : 'FAIL'} in ${result.seconds.total.toFixed(0)}s` + (result.ok ? '' : `\n  ${result.problems.join('\n  ')}`));
  return result;
}

export async function validatePack(dir: string, opts: ValidateOptions = {}): Promise<{ runs: ScenarioRun[]; loadErrors: string[] }> {
  const out = opts.out ?? ((l: string) => process.stdout.write(`${l}\n`));
  const loaded = loadPack(dir);
  const loadErrors = loaded.errors.map((e) => e.message);
  for (const e of loadErrors) out(`load error: ${e}`);
  let scenarios = loaded.scenarios;
  if (opts.scenarios?.length) {
    const unknown = opts.scenarios.filter((id) => !scenarios.some((s) => s.id === id));
    if (unknown.length) throw new Error(`unknown scenario id(s) in ${dir}: ${unknown.join(', ')}`);
    scenarios = scenarios.filter((s) => opts.scenarios!.includes(s.id));
  }
  const driver = opts.driver ?? new KindDockerDriver();
  await driver.preflight();
  const registry = new ClusterRegistry(driver, out);
  await registry.deleteOrphans();
  const nodeImage = opts.nodeImage ?? (await resolveNodeImage(driver, out));

  const queue: Array<[Scenario, number, string?]> = [];
  for (let run = 1; run <= (opts.runs ?? 1); run++) for (const s of scenarios) queue.push([s, run]);
  if (opts.alternatives ?? true) {
    for (const s of scenarios) for (const alt of s.alternativeSolutions ?? []) queue.push([s, 1, alt.name]);
  }
  const altCount = queue.filter((q) => q[2]).length;
  out(
    `validating ${scenarios.length} scenario(s) × ${opts.runs ?? 1} run(s)` +
      (altCount ? ` + ${altCount} alternative solution(s)` : '') +
      ` on ${nodeImage}, ${opts.concurrency ?? 1} at a time`,
  );
  const runs: ScenarioRun[] = [];
  const workers = Array.from({ length: Math.max(1, opts.concurrency ?? 1) }, async () => {
    for (let item = queue.shift(); item; item = queue.shift()) {
      const env = { driver, nodeImage, registry, out, opts };
      const tag = runName({ scenario: item[0].id, run: item[1], alternative: item[2] });
      let result = await validateScenario(item[0], item[1], env, item[2]);
      const earlier: string[] = [];
      for (let retry = 1; !result.ok && retry <= (opts.retries ?? 0); retry++) {
        earlier.push(...result.problems.map((p) => `attempt ${retry}: ${p}`));
        out(`[${tag}] retrying on a fresh cluster (${retry}/${opts.retries})`);
        result = await validateScenario(item[0], item[1], env, item[2]);
        if (result.ok) {
          result.flaky = true;
          result.problems = earlier;
        }
      }
      runs.push(result);
    }
  });
  await Promise.all(workers);
  if (opts.junit) {
    // The report's folder (test-results/ in CI) is not in a fresh clone.
    mkdirSync(dirname(opts.junit), { recursive: true });
    writeFileSync(opts.junit, junitXml(loaded.pack.id, runs, loadErrors));
  }
  const failed = runs.filter((r) => !r.ok);
  const flaky = runs.filter((r) => r.flaky);
  out(
    `\nvalidate ${loaded.pack.id}: ${runs.length - failed.length} passed (${flaky.length} only on retry), ${failed.length} failed` +
      (loadErrors.length ? `, ${loadErrors.length} load errors` : ''),
  );
  for (const r of runs.sort((a, b) => runName(a).localeCompare(runName(b)))) {
    const mark = !r.ok ? 'FAIL ' : r.flaky ? 'FLAKY' : 'ok   ';
    out(`  ${mark} ${runName(r)}  ${r.seconds.total.toFixed(0)}s (bring-up ${r.seconds.bringUp.toFixed(0)}s, solve ${r.seconds.solve.toFixed(0)}s)`);
    if (r.flaky) out(`        first attempt: ${r.problems.join('; ')}`);
  }
  return { runs, loadErrors };
}

function esc(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
}

export function junitXml(pack: string, runs: ScenarioRun[], loadErrors: string[]): string {
  const failures = runs.filter((r) => !r.ok).length + loadErrors.length;
  const total = runs.reduce((t, r) => t + r.seconds.total, 0);
  const cases = runs.map((r) => {
    const name = `${r.scenario} (run ${r.run}${r.alternative ? `, alternative solution ${r.alternative}` : ''})`;
    const body = !r.ok
      ? `<failure message="${esc(r.problems[0] ?? 'failed')}">${esc(r.problems.join('\n'))}</failure>`
      : r.flaky
        ? `<system-out>FLAKY: passed on retry after: ${esc(r.problems.join('\n'))}</system-out>`
        : '';
    return `    <testcase classname="${esc(pack)}" name="${esc(name)}" time="${r.seconds.total.toFixed(1)}">${body}</testcase>`;
  });
  for (const e of loadErrors) cases.push(`    <testcase classname="${esc(pack)}" name="load"><failure message="${esc(e)}"/></testcase>`);
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites>\n  <testsuite name="kubedrill validate ${esc(pack)}" tests="${cases.length}" failures="${failures}" time="${total.toFixed(1)}">\n` +
    `${cases.join('\n')}\n  </testsuite>\n</testsuites>\n`
  );
}
