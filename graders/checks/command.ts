/** command check: a script on a node; exit code and stdout patterns. */
import type { Check, CommandCheck } from '../../server/scenarios/types.js';
import type { CheckResult, ClusterView } from '../types.js';
import { errorResult, firstLine, makeResult, show } from '../util.js';

const TIMEOUT_MS = 60_000;

export async function runCommandCheck(check: Check & CommandCheck, view: ClusterView): Promise<CheckResult> {
  const spec = check.command;
  const wantExit = spec.exitCode ?? 0;
  const parts = [`exit code ${wantExit}`];
  if (spec.stdoutMatches) parts.push(`output matching /${spec.stdoutMatches}/`);
  if (spec.stdoutNotMatches) parts.push(`output not matching /${spec.stdoutNotMatches}/`);
  const expected = `script on ${spec.node}: ${parts.join(', ')}`;
  let res;
  try {
    res = await view.runOnNode(spec.node, spec.script, TIMEOUT_MS);
  } catch (e) {
    return errorResult(check, expected, `could not run the script on ${spec.node}: ${(e as Error).message}`);
  }
  if (res.timedOut) return errorResult(check, expected, `the script on ${spec.node} did not finish within ${TIMEOUT_MS / 1000}s`);
  const out = res.stdout.trim();
  const actual = `exit code ${res.exitCode}, output ${out ? show(out, 160) : '(empty)'}` +
    (res.exitCode !== 0 && res.stderr.trim() ? `, error ${show(firstLine(res.stderr), 160)}` : '');
  let passed = res.exitCode === wantExit;
  if (passed && spec.stdoutMatches) passed = new RegExp(spec.stdoutMatches, 'm').test(res.stdout);
  if (passed && spec.stdoutNotMatches) passed = !new RegExp(spec.stdoutNotMatches, 'm').test(res.stdout);
  return makeResult(check, passed, expected, actual);
}
