/** systemd check: exit codes of systemctl is-active / is-enabled. */
import type { Check, SystemdCheck } from '../../server/scenarios/types.js';
import { shellQuote } from '../../server/steps/placeholders.js';
import type { CheckResult, ClusterView } from '../types.js';
import { errorResult, makeResult } from '../util.js';

export interface UnitState {
  active: boolean;
  activeText: string;
  enabled: boolean;
  enabledText: string;
}

export function unitStateScript(unit: string): string {
  const u = shellQuote(unit);
  // $? after a command substitution assignment is the command's exit code.
  return [
    `a=$(systemctl is-active ${u} 2>&1); arc=$?`,
    `e=$(systemctl is-enabled ${u} 2>&1); erc=$?`,
    `printf 'KD_ACTIVE %s %s\\nKD_ENABLED %s %s\\n' "$arc" "$(echo $a)" "$erc" "$(echo $e)"`,
  ].join('\n');
}

export function parseUnitState(stdout: string): UnitState {
  const active = /^KD_ACTIVE (\d+) ?(.*)$/m.exec(stdout);
  const enabled = /^KD_ENABLED (\d+) ?(.*)$/m.exec(stdout);
  if (!active || !enabled) throw new Error(`unexpected systemctl output: ${stdout.slice(0, 200)}`);
  return {
    active: active[1] === '0',
    activeText: active[2]!.trim() || 'unknown',
    enabled: enabled[1] === '0',
    enabledText: enabled[2]!.trim() || 'unknown',
  };
}

export async function runSystemdCheck(check: Check & SystemdCheck, view: ClusterView): Promise<CheckResult> {
  const spec = check.systemd;
  const wants: string[] = [];
  if (spec.active !== undefined) wants.push(spec.active ? 'active' : 'not active');
  if (spec.enabled !== undefined) wants.push(spec.enabled ? 'enabled' : 'not enabled');
  const expected = `${spec.unit} on ${spec.node} is ${wants.join(' and ')}`;
  let state: UnitState;
  try {
    const res = await view.runOnNode(spec.node, unitStateScript(spec.unit), 30_000);
    state = parseUnitState(res.stdout);
  } catch (e) {
    return errorResult(check, expected, `could not ask systemd on ${spec.node}: ${(e as Error).message}`);
  }
  const passed =
    (spec.active === undefined || spec.active === state.active) && (spec.enabled === undefined || spec.enabled === state.enabled);
  return makeResult(check, passed, expected, `${spec.unit} is ${state.activeText} and ${state.enabledText}`);
}
