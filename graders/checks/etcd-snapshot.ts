/**
 * etcdSnapshot check. Validity: `etcdutl snapshot status -w json` on a copy
 * of the file (status opens the bbolt file; a copy guarantees grading never
 * changes the learner's snapshot).
 *
 * containsKey: grep for the key bytes in the snapshot. etcd stores each key
 * verbatim inside the bbolt value (mvccpb.KeyValue), so a key present at
 * snapshot time is always found. Trade-off: it proves the bytes are in the
 * file, not that the key is live at the snapshot's revision (a key deleted
 * just before may linger in an old revision or a free page). A real restore
 * plus an etcd to read it back would be exact but costs seconds and disk;
 * scenarios create the marker in setup and never delete it, so the cheap
 * test is sufficient.
 */
import type { Check, EtcdSnapshotCheck } from '../../server/scenarios/types.js';
import { shellQuote } from '../../server/steps/placeholders.js';
import type { CheckResult, ClusterView } from '../types.js';
import { errorResult, firstLine, makeResult } from '../util.js';

export function snapshotScript(path: string, key?: string): string {
  const lines = [
    `p=${shellQuote(path)}`,
    'if [ ! -f "$p" ]; then echo KD_MISSING; exit 0; fi',
    'if ! command -v etcdutl >/dev/null 2>&1; then echo KD_NO_ETCDUTL; exit 0; fi',
    't=$(mktemp -d)',
    'cp "$p" "$t/snap.db"',
    'out=$(etcdutl snapshot status "$t/snap.db" -w json 2>&1); rc=$?',
    'rm -rf "$t"',
    'echo "KD_STATUS_RC $rc"',
    'echo "$out"',
  ];
  if (key !== undefined) {
    lines.push(`if grep -aqF -- ${shellQuote(key)} "$p"; then echo KD_KEY_FOUND; else echo KD_KEY_MISSING; fi`);
  }
  return lines.join('\n');
}

export interface SnapshotState {
  missing?: boolean;
  noEtcdutl?: boolean;
  valid?: boolean;
  status?: { hash?: number; revision?: number; totalKey?: number; totalSize?: number; version?: string };
  statusError?: string;
  keyFound?: boolean;
}

export function parseSnapshotOutput(stdout: string): SnapshotState {
  if (stdout.startsWith('KD_MISSING')) return { missing: true };
  if (stdout.startsWith('KD_NO_ETCDUTL')) return { noEtcdutl: true };
  const rc = /^KD_STATUS_RC (\d+)$/m.exec(stdout);
  if (!rc) throw new Error(`unexpected output: ${stdout.slice(0, 200)}`);
  const state: SnapshotState = {};
  const body = stdout.slice(rc.index + rc[0].length).replace(/^KD_KEY_(FOUND|MISSING)$/m, '');
  const jsonLine = body.split('\n').find((l) => l.trim().startsWith('{'));
  if (rc[1] === '0' && jsonLine) {
    try {
      state.status = JSON.parse(jsonLine);
      state.valid = true;
    } catch {
      state.valid = false;
      state.statusError = 'etcdutl printed no readable status';
    }
  } else {
    state.valid = false;
    state.statusError = firstLine(body) || `etcdutl exit code ${rc[1]}`;
  }
  if (/^KD_KEY_FOUND$/m.test(stdout)) state.keyFound = true;
  else if (/^KD_KEY_MISSING$/m.test(stdout)) state.keyFound = false;
  return state;
}

export async function runEtcdSnapshotCheck(check: Check & EtcdSnapshotCheck, view: ClusterView): Promise<CheckResult> {
  const spec = check.etcdSnapshot;
  const expected =
    `a valid etcd snapshot at ${spec.path} on ${spec.node}` + (spec.containsKey ? ` containing key ${spec.containsKey}` : '');
  let state: SnapshotState;
  try {
    const res = await view.runOnNode(spec.node, snapshotScript(spec.path, spec.containsKey), 120_000);
    state = parseSnapshotOutput(res.stdout);
  } catch (e) {
    return errorResult(check, expected, `could not inspect the snapshot: ${(e as Error).message}`);
  }
  if (state.missing) return makeResult(check, false, expected, `no file at ${spec.path}`);
  if (state.noEtcdutl) return errorResult(check, expected, `etcdutl is not installed on ${spec.node} (node image problem)`);
  if (!state.valid) return makeResult(check, false, expected, `not a valid snapshot: ${state.statusError}`);
  const s = state.status!;
  const summary = `valid snapshot (revision ${s.revision}, ${s.totalKey} keys, ${s.totalSize} bytes)`;
  if (spec.containsKey && !state.keyFound) return makeResult(check, false, expected, `${summary}, but key ${spec.containsKey} is not in it`);
  return makeResult(check, true, expected, summary + (spec.containsKey ? `, key ${spec.containsKey} present` : ''));
}
