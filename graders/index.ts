/**
 * The check library entry points: runCheck (one check, never throws) and
 * grade (a whole scenario, with optional polling and anti-cheat guards).
 */
import type { Check, Scenario } from '../server/scenarios/types.js';
import { fillPlaceholders } from '../server/steps/placeholders.js';
import { runCommandCheck } from './checks/command.js';
import { runEtcdSnapshotCheck } from './checks/etcd-snapshot.js';
import { runFileCheck } from './checks/file.js';
import { runNetworkPolicyCheck } from './checks/network-policy.js';
import { runNodeReadyCheck } from './checks/node-ready.js';
import { runAbsentCheck, runObjectCheck } from './checks/object.js';
import { runSystemdCheck } from './checks/systemd.js';
import { checkGuards, type ClusterIdentity } from './guards.js';
import type { CheckResult, ClusterView, GradeReport } from './types.js';
import { errorResult, sleep } from './util.js';

export { captureIdentity, checkGuards, type ClusterIdentity } from './guards.js';

export const CHECK_KINDS = ['object', 'absent', 'command', 'file', 'nodeReady', 'systemd', 'etcdSnapshot', 'networkPolicy'] as const;
export type CheckKindName = (typeof CHECK_KINDS)[number];

export function checkKindOf(check: object): CheckKindName | undefined {
  return CHECK_KINDS.find((k) => k in check);
}

/**
 * Runs one check. Placeholders are filled from the view. Never throws: a
 * check that cannot run comes back failed with `error` set.
 */
export async function runCheck(check: Check, view: ClusterView): Promise<CheckResult> {
  let filled: Check;
  try {
    filled = fillPlaceholders(check, view.placeholders());
  } catch (e) {
    return errorResult(check, check.description, (e as Error).message);
  }
  const kind = checkKindOf(filled);
  try {
    switch (kind) {
      case 'object':
        return await runObjectCheck(filled as Parameters<typeof runObjectCheck>[0], view);
      case 'absent':
        return await runAbsentCheck(filled as Parameters<typeof runAbsentCheck>[0], view);
      case 'command':
        return await runCommandCheck(filled as Parameters<typeof runCommandCheck>[0], view);
      case 'file':
        return await runFileCheck(filled as Parameters<typeof runFileCheck>[0], view);
      case 'nodeReady':
        return await runNodeReadyCheck(filled as Parameters<typeof runNodeReadyCheck>[0], view);
      case 'systemd':
        return await runSystemdCheck(filled as Parameters<typeof runSystemdCheck>[0], view);
      case 'etcdSnapshot':
        return await runEtcdSnapshotCheck(filled as Parameters<typeof runEtcdSnapshotCheck>[0], view);
      case 'networkPolicy':
        return await runNetworkPolicyCheck(filled as Parameters<typeof runNetworkPolicyCheck>[0], view);
      default:
        return errorResult(filled, filled.description, `unknown check kind (expected one of ${CHECK_KINDS.join(', ')})`);
    }
  } catch (e) {
    // A bug or an unexpected tool output must not crash a grade.
    return errorResult(filled, filled.description, `check failed to run: ${(e as Error).message}`);
  }
}

export interface GradeOptions {
  /** Keep re-running failing checks until they pass or this many seconds pass. 0 (default) = evaluate once. */
  timeoutSeconds?: number;
  /** Seconds between polls; default 5. */
  pollSeconds?: number;
  /** Identity captured when the session became ready; enables the anti-cheat guards. */
  identity?: ClusterIdentity;
  signal?: AbortSignal;
  /** Called after each round with the current results (progress UI, logs). */
  onRound?: (results: CheckResult[], round: number) => void;
}

export async function grade(scenario: Scenario, view: ClusterView, options: GradeOptions = {}): Promise<GradeReport> {
  const started = Date.now();
  const timeoutMs = (options.timeoutSeconds ?? 0) * 1000;
  const pollMs = (options.pollSeconds ?? 5) * 1000;
  const results: CheckResult[] = await Promise.all(scenario.checks.map((c) => runCheck(c, view)));
  let round = 1;
  options.onRound?.(results, round);
  while (results.some((r) => !r.passed) && Date.now() - started + pollMs <= timeoutMs && !options.signal?.aborted) {
    await sleep(pollMs, options.signal);
    if (options.signal?.aborted) break;
    round++;
    await Promise.all(
      scenario.checks.map(async (check, i) => {
        if (!results[i]!.passed) results[i] = await runCheck(check, view);
      }),
    );
    options.onRound?.(results, round);
  }

  const all = [...results];
  let guardFailed = false;
  if (options.identity) {
    const guardResults = await checkGuards(options.identity, view, { nodesIntact: scenario.guards?.nodesIntact ?? true });
    guardFailed = guardResults.length > 0;
    all.push(...guardResults);
  }
  const maxScore = results.reduce((sum, r) => sum + r.maxPoints, 0);
  const earned = results.reduce((sum, r) => sum + r.points, 0);
  // A failed guard means the cluster graded is not the one the learner was
  // given (or a node was replaced): no points for it.
  const score = guardFailed ? 0 : earned;
  return {
    scenarioId: scenario.id,
    score,
    maxScore,
    percent: maxScore ? Math.round((score / maxScore) * 1000) / 10 : 0,
    checks: all,
    gradedAt: new Date().toISOString(),
    durationMs: Date.now() - started,
  };
}
