/**
 * The step library: setup, faults and solutions are lists of steps run by
 * runStep. Every node command goes through the driver as argv or as a bash
 * script on stdin — never through a shell on the host.
 */
import type { ExecResult } from '../../clusters/driver.js';
import { checkKindOf, runCheck } from '../../graders/index.js';
import type { ClusterView } from '../../graders/types.js';
import { sleep } from '../../graders/util.js';
import type { Check, Step } from '../scenarios/types.js';
import { fillPlaceholders, shellQuote, type PlaceholderVars } from './placeholders.js';
import { backupPathFor, applyYamlEdits } from './yaml-edit.js';
import { backupScript, readFileScript, writeFileScript } from './node-files.js';

export { fillPlaceholders, type PlaceholderVars } from './placeholders.js';
export { applyYamlEdits, parseYamlPath, backupPathFor } from './yaml-edit.js';

export interface StepContext {
  /** Node access and the checks' view of the cluster (wait steps grade with it). */
  view: ClusterView;
  /** kubectl on the control-plane node with the admin kubeconfig; argv only, optional stdin. */
  kubectl(args: string[], stdin?: string, timeoutMs?: number): Promise<ExecResult>;
  /** One human-readable line at a time. */
  log: (line: string) => void;
  signal?: AbortSignal;
}

export class StepError extends Error {
  constructor(
    readonly step: string,
    message: string,
  ) {
    super(`${step}: ${message}`);
    this.name = 'StepError';
  }
}

export const STEP_KINDS = ['run', 'apply', 'delete', 'patch', 'systemd', 'writeFile', 'editFile', 'editYaml', 'node', 'wait'] as const;
export type StepKindName = (typeof STEP_KINDS)[number];

export function stepKindOf(step: object): StepKindName | undefined {
  return STEP_KINDS.find((k) => k in step);
}

/** "stop kubelet (systemd)" or "systemd kubelet on worker" */
export function describeStep(step: Step): string {
  const kind = stepKindOf(step) ?? 'unknown';
  if (step.name) return `${step.name} (${kind})`;
  const body = (step as unknown as Record<string, Record<string, unknown>>)[kind] ?? {};
  const bits = [body.kind, body.name, body.unit, body.path].filter((x) => typeof x === 'string');
  const node = typeof body.node === 'string' ? ` on ${body.node}` : '';
  return `${kind}${bits.length ? ' ' + bits.join(' ') : ''}${node}`;
}

const DEFAULT_RUN_TIMEOUT_MS = 120_000;

function tail(text: string, lines = 8): string {
  return text.trim().split('\n').slice(-lines).join('\n');
}

async function onNode(ctx: StepContext, label: string, alias: string, script: string, timeoutMs = DEFAULT_RUN_TIMEOUT_MS) {
  const res = await ctx.view.runOnNode(alias, script, timeoutMs);
  if (res.timedOut) throw new StepError(label, `timed out after ${Math.round(timeoutMs / 1000)}s on ${alias}`);
  if (res.exitCode !== 0)
    throw new StepError(label, `exit code ${res.exitCode} on ${alias}${res.stderr.trim() ? ':\n' + tail(res.stderr) : ''}`);
  return res;
}

async function kubectl(ctx: StepContext, label: string, args: string[], stdin?: string) {
  const res = await ctx.kubectl(args, stdin, DEFAULT_RUN_TIMEOUT_MS);
  if (res.timedOut) throw new StepError(label, `kubectl ${args[0]} timed out`);
  if (res.exitCode !== 0) throw new StepError(label, `kubectl ${args.join(' ')} failed:\n${tail(res.stderr || res.stdout)}`);
  for (const line of res.stdout.trim().split('\n')) if (line) ctx.log(`  ${line}`);
  return res;
}

function nsArgs(namespace?: string): string[] {
  return namespace ? ['-n', namespace] : [];
}

/** Runs one step. Placeholders are filled first. Throws StepError naming the step. */
export async function runStep(rawStep: Step, ctx: StepContext): Promise<void> {
  const label = describeStep(rawStep);
  let step: Step;
  try {
    step = fillPlaceholders(rawStep, ctx.view.placeholders());
  } catch (e) {
    throw new StepError(label, (e as Error).message);
  }
  ctx.log(`step: ${label}`);
  if ('run' in step) {
    const { node, script, timeoutSeconds } = step.run;
    const res = await onNode(ctx, label, node, script, timeoutSeconds ? timeoutSeconds * 1000 : DEFAULT_RUN_TIMEOUT_MS);
    for (const line of res.stdout.trim().split('\n').slice(-20)) if (line) ctx.log(`  ${line}`);
  } else if ('apply' in step) {
    await kubectl(ctx, label, ['apply', '-f', '-'], step.apply.manifest);
  } else if ('delete' in step) {
    const d = step.delete;
    await kubectl(ctx, label, ['delete', d.kind, d.name, ...nsArgs(d.namespace), '--ignore-not-found', `--wait=${d.wait ?? false}`]);
  } else if ('patch' in step) {
    const p = step.patch;
    await kubectl(ctx, label, ['patch', p.kind, p.name, ...nsArgs(p.namespace), '--type', p.type ?? 'merge', '-p', JSON.stringify(p.patch)]);
  } else if ('systemd' in step) {
    const { node, unit, actions } = step.systemd;
    const script = ['set -e', 'systemctl daemon-reload', ...actions.map((a) => `systemctl ${a} ${shellQuote(unit)}`)].join('\n');
    await onNode(ctx, label, node, script);
  } else if ('writeFile' in step) {
    const w = step.writeFile;
    await onNode(ctx, label, w.node, writeFileScript(w.path, w.content, w.mode));
  } else if ('editFile' in step) {
    const e = step.editFile;
    const res = await onNode(ctx, label, e.node, readFileScript(e.path));
    const edited = applyLiteralReplacements(res.stdout, e.replace, e.path, label);
    await onNode(ctx, label, e.node, writeFileScript(e.path, edited));
  } else if ('editYaml' in step) {
    const e = step.editYaml;
    const res = await onNode(ctx, label, e.node, readFileScript(e.path));
    let edited: string;
    try {
      edited = applyYamlEdits(res.stdout, { set: e.set, replaceIn: e.replaceIn });
    } catch (err) {
      throw new StepError(label, `${e.path}: ${(err as Error).message}`);
    }
    if (e.backup ?? true) await onNode(ctx, label, e.node, backupScript(e.path, backupPathFor(e.path)));
    await onNode(ctx, label, e.node, writeFileScript(e.path, edited));
  } else if ('node' in step) {
    await runNodeStep(step.node, ctx, label);
  } else if ('wait' in step) {
    await runWaitStep(step.wait, ctx, label);
  } else {
    throw new StepError(label, `unknown step kind (expected one of ${STEP_KINDS.join(', ')})`);
  }
}

/** editFile's pure part: every `from` must occur; all occurrences are replaced. */
export function applyLiteralReplacements(
  text: string,
  replacements: Array<{ from: string; to: string }>,
  filePath: string,
  label = 'editFile',
): string {
  let out = text;
  for (const { from, to } of replacements) {
    if (!out.includes(from)) throw new StepError(label, `"${from}" not found in ${filePath}`);
    out = out.split(from).join(to);
  }
  return out;
}

async function runNodeStep(spec: Extract<Step, { node: unknown }>['node'], ctx: StepContext, label: string) {
  const name = ctx.view.nodeName(spec.name);
  for (const t of spec.taints ?? []) {
    const taint = `${t.key}${t.value !== undefined ? '=' + t.value : ''}:${t.effect}`;
    await kubectl(ctx, label, ['taint', 'nodes', name, taint, '--overwrite']);
  }
  for (const key of spec.removeTaints ?? []) {
    const res = await ctx.kubectl(['taint', 'nodes', name, `${key}-`]);
    // Removing a taint that is not there is fine: the goal state is reached.
    if (res.exitCode !== 0 && !/not found/i.test(res.stderr)) throw new StepError(label, `kubectl taint ${key}- failed: ${tail(res.stderr)}`);
  }
  const labels = Object.entries(spec.labels ?? {}).map(([k, v]) => (v === null ? `${k}-` : `${k}=${v}`));
  if (labels.length) await kubectl(ctx, label, ['label', 'nodes', name, ...labels, '--overwrite']);
  if (spec.cordon !== undefined) await kubectl(ctx, label, [spec.cordon ? 'cordon' : 'uncordon', name]);
}

async function runWaitStep(spec: Extract<Step, { wait: unknown }>['wait'], ctx: StepContext, label: string) {
  const timeoutMs = (spec.timeoutSeconds ?? 120) * 1000;
  const pollMs = (spec.pollSeconds ?? 2) * 1000;
  const kind = checkKindOf(spec.for) ?? 'check';
  const check: Check = { id: spec.for.id ?? `wait-${kind}`, description: spec.for.description ?? `wait for ${kind}`, points: 1, ...spec.for } as Check;
  const started = Date.now();
  for (;;) {
    const result = await runCheck(check, ctx.view);
    if (result.passed) {
      ctx.log(`  ${result.actual ?? 'ok'} after ${Math.round((Date.now() - started) / 1000)}s`);
      return;
    }
    if (ctx.signal?.aborted) throw new StepError(label, 'aborted');
    if (Date.now() - started + pollMs > timeoutMs) {
      throw new StepError(
        label,
        `timed out after ${Math.round(timeoutMs / 1000)}s waiting for ${check.description}: expected ${result.expected}, found ${result.actual}` +
          (result.error ? ` (${result.error})` : ''),
      );
    }
    await sleep(pollMs, ctx.signal);
  }
}

/** Runs a list of steps in order; the first failure stops it. */
export async function runSteps(steps: Step[], ctx: StepContext, phase: string): Promise<void> {
  for (const [i, step] of steps.entries()) {
    try {
      await runStep(step, ctx);
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      throw new StepError(`${phase}[${i}]`, message);
    }
  }
}
