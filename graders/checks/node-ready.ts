/** nodeReady check: the Node object's Ready condition (never kubectl's table text). */
import type { Check, NodeReadyCheck } from '../../server/scenarios/types.js';
import type { CheckResult, ClusterView } from '../types.js';
import { errorResult, explainApiError, makeResult } from '../util.js';

interface NodeCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

/** "Ready=False (KubeletNotReady: container runtime is down)" */
export function describeReady(condition: NodeCondition | undefined): string {
  if (!condition) return 'no Ready condition reported yet';
  const why = [condition.reason, condition.message].filter(Boolean).join(': ');
  const short = why.length > 160 ? why.slice(0, 157) + '...' : why;
  return `Ready=${condition.status}` + (short ? ` (${short})` : '');
}

export async function runNodeReadyCheck(check: Check & NodeReadyCheck, view: ClusterView): Promise<CheckResult> {
  const spec = check.nodeReady;
  const wantReady = spec.ready ?? true;
  let name: string;
  try {
    name = view.nodeName(spec.node);
  } catch (e) {
    return errorResult(check, `node ${spec.node} Ready=${wantReady ? 'True' : 'not True'}`, (e as Error).message);
  }
  const expected = `node ${name} Ready=${wantReady ? 'True' : 'False or Unknown'}`;
  let node: unknown;
  try {
    node = await view.getJson(['node', name]);
  } catch (e) {
    return errorResult(check, expected, `could not read node ${name}: ${explainApiError(e)}`);
  }
  if (node === null) return makeResult(check, false, expected, `node ${name} does not exist`);
  const conditions = (node as { status?: { conditions?: NodeCondition[] } }).status?.conditions ?? [];
  const ready = conditions.find((c) => c.type === 'Ready');
  const isReady = ready?.status === 'True';
  return makeResult(check, isReady === wantReady, expected, describeReady(ready));
}
