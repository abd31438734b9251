/**
 * A ClusterView over recorded cluster JSON, for unit tests. getJson
 * understands the argument shapes the graders send (resource [name]
 * [-n ns | --all-namespaces] [-l k=v,...]); node scripts are answered by
 * handlers matched on the script text.
 */
import type { ExecResult } from '../../clusters/driver.js';
import type { ClusterView } from '../../graders/types.js';

export interface NodeScriptHandler {
  node?: string;
  match: RegExp;
  reply: Partial<ExecResult> | ((script: string) => Partial<ExecResult>);
}

export interface RecordedCluster {
  cluster?: string;
  /** alias -> real name */
  nodes?: Record<string, string>;
  objects?: unknown[];
  scripts?: NodeScriptHandler[];
  /** Simulates a dead API server: every getJson throws kubectl's error. */
  apiDown?: boolean;
}

export interface RecordedView extends ClusterView {
  calls: { getJson: string[][]; scripts: Array<{ alias: string; script: string }> };
  state: RecordedCluster;
}

type K8sObject = { kind?: string; metadata?: { name?: string; namespace?: string; labels?: Record<string, string> } };

const CLUSTER_SCOPED = new Set(['node', 'namespace', 'persistentvolume', 'storageclass', 'clusterrole', 'clusterrolebinding']);

function normaliseResource(resource: string): string {
  const base = resource.split('.')[0]!.toLowerCase();
  if (base === 'nodes' || base === 'no') return 'node';
  if (base === 'po') return 'pod';
  if (base === 'deploy') return 'deployment';
  if (base.endsWith('ses')) return base.slice(0, -2); // classes
  return base.endsWith('s') ? base.slice(0, -1) : base;
}

function selectorMatches(selector: string | undefined, labels: Record<string, string> = {}): boolean {
  if (!selector) return true;
  return selector.split(',').every((term) => {
    const [k, v] = term.split('=');
    return v === undefined ? k! in labels : labels[k!] === v;
  });
}

export function createRecordedView(state: RecordedCluster): RecordedView {
  const nodes = state.nodes ?? { 'control-plane': 'kd-ab12cd-control-plane', worker: 'kd-ab12cd-worker', worker2: 'kd-ab12cd-worker2' };
  const calls: RecordedView['calls'] = { getJson: [], scripts: [] };
  return {
    calls,
    state,
    nodeName(alias) {
      const name = nodes[alias];
      if (!name) throw new Error(`unknown node alias "${alias}"`);
      return name;
    },
    placeholders: () => ({ cluster: state.cluster ?? 'kd-ab12cd', nodes }),
    async getJson(args) {
      calls.getJson.push(args);
      if (state.apiDown)
        throw new Error('kubectl get: The connection to the server kd-ab12cd-control-plane:6443 was refused - did you specify the right host or port?');
      const [resource, maybeName, ...rest] = args;
      const hasName = maybeName !== undefined && !maybeName.startsWith('-');
      const flags = hasName ? rest : [maybeName, ...rest].filter((x): x is string => x !== undefined);
      const kind = normaliseResource(resource!);
      const nsIndex = flags.indexOf('-n');
      const allNs = flags.includes('--all-namespaces');
      const namespace = nsIndex >= 0 ? flags[nsIndex + 1] : CLUSTER_SCOPED.has(kind) ? undefined : 'default';
      const selIndex = flags.indexOf('-l');
      const selector = selIndex >= 0 ? flags[selIndex + 1] : undefined;
      const candidates = (state.objects as K8sObject[] | undefined ?? []).filter(
        (o) =>
          o.kind?.toLowerCase() === kind &&
          (allNs || CLUSTER_SCOPED.has(kind) || o.metadata?.namespace === namespace) &&
          selectorMatches(selector, o.metadata?.labels),
      );
      if (hasName) return candidates.find((o) => o.metadata?.name === maybeName) ?? null;
      return { apiVersion: 'v1', kind: 'List', items: candidates, metadata: { resourceVersion: '' } };
    },
    async runOnNode(alias, script) {
      calls.scripts.push({ alias, script });
      if (!nodes[alias]) throw new Error(`unknown node alias "${alias}"`);
      const handler = (state.scripts ?? []).find((h) => (h.node === undefined || h.node === alias) && h.match.test(script));
      if (!handler) return { exitCode: 127, stdout: '', stderr: `no recorded reply for script: ${script.slice(0, 80)}` };
      const reply = typeof handler.reply === 'function' ? handler.reply(script) : handler.reply;
      return { exitCode: 0, stdout: '', stderr: '', ...reply };
    },
  };
}
