/**
 * Anti-cheat guards. When a session becomes ready the engine captures the
 * cluster's identity; every grade compares against it. Swapping in a fresh
 * cluster changes the CA; deleting and re-creating a Node (e.g. to shed a
 * broken kubelet config instead of fixing it) changes its UID.
 */
import type { CheckResult, ClusterView } from './types.js';
import { firstLine } from './util.js';

export interface ClusterIdentity {
  /** sha256 of /etc/kubernetes/pki/ca.crt on the control-plane node. */
  caFingerprint: string;
  /** node name -> metadata.uid */
  nodes: Record<string, string>;
  capturedAt: string;
}

const CA_PATH = '/etc/kubernetes/pki/ca.crt';

async function readCaFingerprint(view: ClusterView): Promise<string> {
  const res = await view.runOnNode('control-plane', `sha256sum ${CA_PATH}`, 20_000);
  const hash = /^([0-9a-f]{64})\s/.exec(res.stdout.trim());
  if (res.exitCode !== 0 || !hash) throw new Error(`cannot read ${CA_PATH}: ${firstLine(res.stderr || res.stdout) || 'exit ' + res.exitCode}`);
  return hash[1]!;
}

async function readNodeUids(view: ClusterView): Promise<Record<string, string>> {
  const list = (await view.getJson(['nodes'])) as { items?: Array<{ metadata?: { name?: string; uid?: string } }> } | null;
  const out: Record<string, string> = {};
  for (const item of list?.items ?? []) {
    if (item.metadata?.name && item.metadata.uid) out[item.metadata.name] = item.metadata.uid;
  }
  return out;
}

/** Captures the identity of a healthy cluster; throws if it cannot (the session is not usable then). */
export async function captureIdentity(view: ClusterView): Promise<ClusterIdentity> {
  const [caFingerprint, nodes] = await Promise.all([readCaFingerprint(view), readNodeUids(view)]);
  if (Object.keys(nodes).length === 0) throw new Error('no nodes found while capturing the cluster identity');
  return { caFingerprint, nodes, capturedAt: new Date().toISOString() };
}

function guardFailure(id: string, description: string, expected: string, actual: string, error?: string): CheckResult {
  const r: CheckResult = {
    id,
    description,
    points: 0,
    maxPoints: 0,
    passed: false,
    expected,
    actual,
    explain: 'Grading needs the cluster you were given. Fix it in place instead of replacing it.',
  };
  if (error) r.error = error;
  return r;
}

/**
 * Returns failing guard results (empty when all is well). When the API
 * server is down the node guard cannot tell, and does not fail: the
 * scenario's own checks fail then anyway.
 */
export async function checkGuards(
  before: ClusterIdentity,
  view: ClusterView,
  options: { nodesIntact?: boolean } = {},
): Promise<CheckResult[]> {
  const failures: CheckResult[] = [];
  try {
    const now = await readCaFingerprint(view);
    if (now !== before.caFingerprint) {
      failures.push(
        guardFailure(
          'guard-cluster-identity',
          'The cluster is the one this session created',
          `cluster CA ${CA_PATH} sha256 ${before.caFingerprint.slice(0, 16)}...`,
          `the CA changed (sha256 ${now.slice(0, 16)}...): the cluster was re-created or its CA replaced`,
        ),
      );
    }
  } catch (e) {
    failures.push(
      guardFailure(
        'guard-cluster-identity',
        'The cluster is the one this session created',
        `cluster CA ${CA_PATH} unchanged`,
        `the cluster CA could not be read`,
        (e as Error).message,
      ),
    );
  }
  if (options.nodesIntact === false) return failures;
  let current: Record<string, string>;
  try {
    current = await readNodeUids(view);
  } catch {
    return failures;
  }
  const problems: string[] = [];
  for (const [name, uid] of Object.entries(before.nodes)) {
    if (!(name in current)) problems.push(`node ${name} was deleted`);
    else if (current[name] !== uid) problems.push(`node ${name} was deleted and re-registered (new UID)`);
  }
  if (problems.length) {
    failures.push(
      guardFailure(
        'guard-nodes-intact',
        'The original nodes are still registered',
        `nodes ${Object.keys(before.nodes).join(', ')} with their original UIDs`,
        problems.join('; '),
      ),
    );
  }
  return failures;
}
