/**
 * ClusterView on a real cluster: kubectl runs inside the control-plane node
 * with the admin kubeconfig, scripts run on nodes through the driver
 * (`bash -s`, script on stdin). Nothing goes through a shell on the host.
 */
import type { ClusterDriver, ClusterNode, ExecResult } from '../../clusters/driver.js';
import type { ClusterView } from '../../graders/types.js';
import type { PlaceholderVars } from '../steps/placeholders.js';
import type { StepContext } from '../steps/index.js';

export const ADMIN_KUBECONFIG = '/etc/kubernetes/admin.conf';
const GET_TIMEOUT_MS = 30_000;

/** ClusterView plus kubectl with stdin, which steps need. */
export interface LiveClusterView extends ClusterView {
  kubectl(args: string[], stdin?: string, timeoutMs?: number): Promise<ExecResult>;
  readonly cluster: string;
  readonly nodes: ClusterNode[];
}

export class KubectlError extends Error {
  constructor(
    readonly args: string[],
    readonly result: ExecResult,
  ) {
    super(`kubectl ${args.join(' ')}: ${result.timedOut ? 'timed out' : (result.stderr.trim() || `exit code ${result.exitCode}`)}`);
    this.name = 'KubectlError';
  }
}

/** kubectl's NotFound for a named object (the resource type itself being unknown is a real error). */
export function isNotFound(stderr: string): boolean {
  return /\(NotFound\)/.test(stderr) && !/the server doesn't have a resource type/i.test(stderr);
}

export function createClusterView(driver: ClusterDriver, cluster: string, nodes: ClusterNode[]): LiveClusterView {
  const controlPlane = nodes.find((n) => n.alias === 'control-plane') ?? nodes.find((n) => n.role === 'control-plane');
  if (!controlPlane) throw new Error(`cluster ${cluster} has no control-plane node`);
  const byAlias = new Map(nodes.map((n) => [n.alias, n.name]));

  const nodeName = (alias: string): string => {
    const name = byAlias.get(alias);
    if (!name) throw new Error(`unknown node alias "${alias}" (cluster ${cluster} has ${[...byAlias.keys()].join(', ')})`);
    return name;
  };

  const kubectl = (args: string[], stdin?: string, timeoutMs = GET_TIMEOUT_MS) =>
    driver.exec(controlPlane.name, ['kubectl', '--kubeconfig', ADMIN_KUBECONFIG, ...args], { stdin, timeoutMs });

  const placeholders: PlaceholderVars = { cluster, nodes: Object.fromEntries(byAlias) };

  return {
    cluster,
    nodes,
    nodeName,
    kubectl,
    placeholders: () => placeholders,
    async getJson(args: string[]): Promise<unknown | null> {
      const fullArgs = ['get', ...args, '-o', 'json'];
      const res = await kubectl(fullArgs);
      if (res.exitCode !== 0 || res.timedOut) {
        if (!res.timedOut && isNotFound(res.stderr)) return null;
        throw new KubectlError(fullArgs, res);
      }
      try {
        return JSON.parse(res.stdout);
      } catch {
        throw new Error(`kubectl ${fullArgs.join(' ')} printed no JSON: ${res.stdout.slice(0, 200)}`);
      }
    },
    runOnNode(alias: string, script: string, timeoutMs?: number): Promise<ExecResult> {
      return driver.exec(nodeName(alias), ['bash', '-s'], { stdin: script, timeoutMs: timeoutMs ?? 120_000 });
    },
  };
}

/** The context runStep needs, on a live view. */
export function createStepContext(view: LiveClusterView, log: (line: string) => void, signal?: AbortSignal): StepContext {
  return { view, kubectl: view.kubectl, log, signal };
}
