/**
 * The scenario lifecycle, top to bottom in one place:
 *
 *   provision → prepare nodes → inject faults → ready → grade → reset / teardown
 *
 * Each action is a small named function of a LifecycleContext, run in order
 * by bringUp(); the engine (engine.ts) only adds sessions, events and
 * concurrency around these.
 */
import type { ClusterDriver, ClusterNode, ClusterSpec, ProgressFn } from '../../clusters/driver.js';
import { captureIdentity, grade, type ClusterIdentity, type GradeOptions } from '../../graders/index.js';
import type { ClusterView, GradeReport } from '../../graders/types.js';
import { sleep } from '../../graders/util.js';
import type { Scenario } from '../scenarios/types.js';
import { runSteps, type StepContext } from '../steps/index.js';
import { createClusterView } from './cluster-view.js';
import type { Stage } from './types.js';

export interface LifecycleContext {
  driver: ClusterDriver;
  scenario: Scenario;
  cluster: string;
  nodeImage: string;
  log: ProgressFn;
  stage: (s: Stage) => void;
  signal?: AbortSignal;
  // Filled in as the lifecycle runs:
  nodes: ClusterNode[];
  identity?: ClusterIdentity;
}

type Action = (ctx: LifecycleContext) => Promise<void>;

/** The bring-up sequence; each entry says which stage the learner sees. */
export const BRING_UP: ReadonlyArray<readonly [Stage, string, Action]> = [
  ['provisioning', 'create the kind cluster', provisionCluster],
  ['provisioning', 'wait for nodes and system pods', waitForClusterHealthy],
  ['preparing', 'prepare node shells', prepareNodeShells],
  ['preparing', 'provide etcdctl and etcdutl on the control plane', provideEtcdTools],
  ['preparing', 'check the node image offers what the scenario needs', checkImageContract],
  ['preparing', 'make workload images available', ensureWorkloadImages],
  ['preparing', 'record the cluster identity', recordIdentity],
  ['injecting', 'apply the scenario setup', applySetup],
  ['injecting', 'inject the faults', injectFaults],
];

export async function bringUp(ctx: LifecycleContext): Promise<void> {
  for (const [stage, what, action] of BRING_UP) {
    if (ctx.signal?.aborted) throw new Error('cancelled');
    ctx.stage(stage);
    const t0 = Date.now();
    await action(ctx);
    ctx.log(`✓ ${what} (${((Date.now() - t0) / 1000).toFixed(1)}s)`);
  }
}

// ---- provision ---------------------------------------------------------------

/**
 * kubelet ≥ 1.35 refuses cgroup v1 hosts unless failCgroupV1 is false. Our
 * nodes carry a 1.35 upgrade target, so the setting is in the cluster's
 * kubelet config from the start (1.34 accepts and ignores it on v2).
 */
export const CGROUP_V1_PATCH = 'kind: KubeletConfiguration\nfailCgroupV1: false\n';

/**
 * Where the host withholds CAP_SYS_RESOURCE from containers (some VMs,
 * rootless engines), runc inside a node cannot lower a pod's oom_score_adj
 * and no pod starts. Clamping to containerd's own score avoids that and
 * changes nothing elsewhere (containerd runs at -999 in kind nodes).
 */
export const OOM_SCORE_PATCH = '[plugins."io.containerd.grpc.v1.cri"]\n  restrict_oom_score_adj = true\n';

/** Every Kubedrill cluster's spec: the node image, the workers, and the host-quirk patches above. */
export function clusterSpecFor(name: string, image: string, workers: number): ClusterSpec {
  return { name, image, workers, kubeadmConfigPatches: [CGROUP_V1_PATCH], containerdConfigPatches: [OOM_SCORE_PATCH] };
}

export async function provisionCluster(ctx: LifecycleContext): Promise<void> {
  await ctx.driver.create(clusterSpecFor(ctx.cluster, ctx.nodeImage, ctx.scenario.cluster.workers), ctx.log, ctx.signal);
  ctx.nodes = await ctx.driver.nodes(ctx.cluster);
  ctx.log(`nodes: ${ctx.nodes.map((n) => n.name).join(', ')}`);
}

export function controlPlane(ctx: { nodes: ClusterNode[] }): ClusterNode {
  const cp = ctx.nodes.find((n) => n.role === 'control-plane');
  if (!cp) throw new Error('the cluster has no control-plane node');
  return cp;
}

export function kubectlOn(driver: ClusterDriver, nodes: ClusterNode[]) {
  const cp = controlPlane({ nodes });
  return (args: string[], stdin?: string, timeoutMs?: number) =>
    driver.exec(cp.name, ['kubectl', '--kubeconfig', '/etc/kubernetes/admin.conf', ...args], { stdin, timeoutMs });
}

interface NodeJson {
  metadata: { name: string };
  status?: { conditions?: Array<{ type: string; status: string }> };
}

/** All nodes Ready, CoreDNS available, every DaemonSet in kube-system ready. */
export async function waitForClusterHealthy(
  ctx: Pick<LifecycleContext, 'driver' | 'nodes' | 'log' | 'signal'>,
  timeoutMs = 300_000,
): Promise<void> {
  const kubectl = kubectlOn(ctx.driver, ctx.nodes);
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    const problems: string[] = [];
    const nodes = await kubectl(['get', 'nodes', '-o', 'json'], undefined, 30_000);
    if (nodes.exitCode !== 0) problems.push(`API server: ${nodes.stderr.trim().split('\n')[0]}`);
    else {
      const items = (JSON.parse(nodes.stdout).items ?? []) as NodeJson[];
      if (items.length < ctx.nodes.length) problems.push(`${items.length}/${ctx.nodes.length} nodes registered`);
      for (const n of items) {
        const ready = n.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
        if (!ready) problems.push(`node ${n.metadata.name} not Ready`);
      }
      const ds = await kubectl(['-n', 'kube-system', 'get', 'daemonsets,deployments', '-o', 'json'], undefined, 30_000);
      if (ds.exitCode === 0) {
        for (const o of JSON.parse(ds.stdout).items ?? []) {
          const s = o.status ?? {};
          const want = o.kind === 'DaemonSet' ? s.desiredNumberScheduled : o.spec?.replicas;
          const have = o.kind === 'DaemonSet' ? s.numberReady : s.availableReplicas;
          if ((want ?? 0) > 0 && (have ?? 0) < want) problems.push(`${o.kind} ${o.metadata.name} ${have ?? 0}/${want}`);
        }
      }
    }
    if (problems.length === 0) return;
    const now = problems.join('; ');
    if (now !== last) ctx.log(`waiting: ${now}`);
    last = now;
    if (Date.now() > deadline) throw new Error(`cluster not healthy after ${timeoutMs / 1000}s: ${now}`);
    await sleep(3000, ctx.signal);
  }
}

// ---- prepare -------------------------------------------------------------------

/**
 * Our offline image ships etcdctl/etcdutl; kindest/node does not. The etcd
 * image the cluster already runs carries both, in the matching version, so
 * they are copied out of it (no download, works offline too).
 */
export const ETCD_TOOLS_SCRIPT = `
command -v etcdctl >/dev/null && command -v etcdutl >/dev/null && { echo "etcdctl and etcdutl present"; exit 0; }
image=$(sed -n 's/^[ -]*image: *//p' /etc/kubernetes/manifests/etcd.yaml | head -n1)
[ -n "$image" ] || { echo "no etcd image in /etc/kubernetes/manifests/etcd.yaml" >&2; exit 1; }
ctr -n k8s.io images ls -q "name==$image" | grep -q . || image="docker.io/$image"
mnt=$(mktemp -d)
ctr -n k8s.io images mount "$image" "$mnt" >/dev/null || exit 1
rc=0
for t in etcdctl etcdutl; do
  command -v "$t" >/dev/null || install -m 0755 "$mnt/usr/local/bin/$t" /usr/local/bin/ || rc=1
done
ctr -n k8s.io images unmount "$mnt" >/dev/null
rmdir "$mnt"
echo "etcdctl and etcdutl copied from $image"
exit $rc
`;

export async function provideEtcdTools(ctx: LifecycleContext): Promise<void> {
  const cp = controlPlane(ctx).name;
  const r = await ctx.driver.exec(cp, ['bash', '-s'], { stdin: ETCD_TOOLS_SCRIPT });
  // Not fatal for scenarios that never touch etcd; the etcd scenarios' own steps would fail loudly.
  ctx.log(r.exitCode === 0 ? r.stdout.trim() : `etcdctl/etcdutl unavailable on ${cp}: ${(r.stderr || r.stdout).trim()}`);
}

/** What a learner expects on the control plane: kubectl works, `k` alias, completion. */
export const CONTROL_PLANE_BASHRC = `
# --- added by Kubedrill ---
export KUBECONFIG=/etc/kubernetes/admin.conf
alias k=kubectl
[ -f /usr/share/bash-completion/bash_completion ] && . /usr/share/bash-completion/bash_completion
command -v kubectl >/dev/null && . <(kubectl completion bash) && complete -o default -F __start_kubectl k
export EDITOR=vim
PS1='\\[\\e[1;32m\\]root@\\h\\[\\e[0m\\]:\\[\\e[1;34m\\]\\w\\[\\e[0m\\]# '
`;
export const WORKER_BASHRC = `
# --- added by Kubedrill ---
[ -f /usr/share/bash-completion/bash_completion ] && . /usr/share/bash-completion/bash_completion
export EDITOR=vim
PS1='\\[\\e[1;33m\\]root@\\h\\[\\e[0m\\]:\\[\\e[1;34m\\]\\w\\[\\e[0m\\]# '
`;

export async function prepareNodeShells(ctx: LifecycleContext): Promise<void> {
  await Promise.all(
    ctx.nodes.map(async (node) => {
      const rc = node.role === 'control-plane' ? CONTROL_PLANE_BASHRC : WORKER_BASHRC;
      // The script arrives on stdin; nothing from a request is interpolated.
      const r = await ctx.driver.exec(node.name, ['bash', '-c', 'grep -q "added by Kubedrill" /root/.bashrc 2>/dev/null || cat >> /root/.bashrc'], {
        stdin: rc,
      });
      if (r.exitCode !== 0) throw new Error(`preparing ${node.name}: ${r.stderr}`);
    }),
  );
}

/** Our offline image describes itself here; kindest/node and kubedrill/node-online do not have it. */
const OFFLINE_IMAGE_MANIFEST = '/kind/kubedrill-image.json';

async function isOfflineImage(ctx: LifecycleContext): Promise<boolean> {
  const r = await ctx.driver.exec(controlPlane(ctx).name, ['test', '-f', OFFLINE_IMAGE_MANIFEST]);
  return r.exitCode === 0;
}

/**
 * An upgrade scenario on a node image without the next version's packages
 * would start fine and then fail at the learner's `apt-get install`. Say so
 * before any fault is injected.
 */
export async function checkImageContract(ctx: LifecycleContext): Promise<void> {
  if (!ctx.scenario.cluster.upgradeTarget) return;
  const cp = controlPlane(ctx).name;
  const r = await ctx.driver.exec(cp, [
    'bash',
    '-c',
    // Our offline image names its target; otherwise compare the installed kubeadm minor with the
    // newest one apt can install (the lists are empty in node images until an update).
    `grep -qs '"upgradeTarget": *"v' ${OFFLINE_IMAGE_MANIFEST} && { echo "upgrade target: $(grep -o '"upgradeTarget": *"[^"]*"' ${OFFLINE_IMAGE_MANIFEST})"; exit 0; }; ` +
      `timeout 120 apt-get update -qq >/dev/null 2>&1; ` +
      `cur=$(dpkg-query -W -f='\${Version}' kubeadm | cut -d. -f2); ` +
      `best=$(apt-cache madison kubeadm | awk '{print $3}' | cut -d. -f2 | sort -n | tail -n1); ` +
      `echo "installed minor $cur, newest available minor \${best:-none}"; [ -n "$best" ] && [ "$best" -gt "$cur" ]`,
  ]);
  if (r.exitCode !== 0) {
    throw new Error(
      `scenario ${ctx.scenario.id} needs an upgrade target (the next Kubernetes minor's kubeadm/kubelet/kubectl in the ` +
        `node's apt repository), but node image ${ctx.nodeImage} has none (${r.stdout.trim() || r.stderr.trim()}). ` +
        'Use the offline image (./kubedrill image build) or kubedrill/node-online (docs/node-image.md).',
    );
  }
  ctx.log(r.stdout.trim());
}

/** Images a scenario declares: present in every node, loaded from the host, or pulled (online). */
export async function ensureWorkloadImages(ctx: LifecycleContext): Promise<void> {
  const wanted = ctx.scenario.cluster.images ?? [];
  const missing: string[] = [];
  for (const image of wanted) {
    const ref = qualifiedImage(image);
    const inNodes = await Promise.all(
      ctx.nodes.map((n) => ctx.driver.exec(n.name, ['ctr', '-n', 'k8s.io', 'images', 'ls', '-q', `name==${ref}`])),
    );
    if (inNodes.every((r) => r.exitCode === 0 && r.stdout.trim() === ref)) continue;
    missing.push(image);
  }
  if (missing.length === 0) return;
  const notLocal: string[] = [];
  for (const image of missing) if (!(await ctx.driver.hasImage(image))) notLocal.push(image);
  if (notLocal.length > 0) {
    if (await isOfflineImage(ctx)) {
      throw new Error(
        `images not available offline: ${notLocal.join(', ')}. Build the offline image (clusters/image/build.sh) ` +
          'or pull them with docker first.',
      );
    }
    // Online node images (kindest/node, kubedrill/node-online): the kubelet pulls what is not preloaded.
    ctx.log(`not preloaded, the kubelet will pull them: ${notLocal.join(', ')}`);
  }
  const fromHost = missing.filter((i) => !notLocal.includes(i));
  if (fromHost.length === 0) return;
  ctx.log(`loading images into the nodes: ${fromHost.join(', ')}`);
  await ctx.driver.loadImages(ctx.cluster, fromHost, ctx.log);
}

/** containerd's fully qualified form of an image reference. */
export function qualifiedImage(ref: string): string {
  const first = ref.split('/')[0];
  if (!ref.includes('/')) return `docker.io/library/${ref}`;
  if (first.includes('.') || first.includes(':') || first === 'localhost') return ref;
  return `docker.io/${ref}`;
}

export async function recordIdentity(ctx: LifecycleContext): Promise<void> {
  ctx.identity = await captureIdentity(viewOf(ctx));
}

// ---- inject --------------------------------------------------------------------

export function viewOf(ctx: { driver: ClusterDriver; cluster: string; nodes: ClusterNode[] }): ClusterView {
  return createClusterView(ctx.driver, ctx.cluster, ctx.nodes);
}

export function stepContext(ctx: LifecycleContext): StepContext {
  return { view: viewOf(ctx), kubectl: kubectlOn(ctx.driver, ctx.nodes), log: ctx.log, signal: ctx.signal };
}

export async function applySetup(ctx: LifecycleContext): Promise<void> {
  await runSteps(ctx.scenario.setup, stepContext(ctx), 'setup');
}

export async function injectFaults(ctx: LifecycleContext): Promise<void> {
  await runSteps(ctx.scenario.faults, stepContext(ctx), 'faults');
}

// ---- grade, solve, teardown ------------------------------------------------------

export async function gradeCluster(ctx: LifecycleContext, opts: GradeOptions = {}): Promise<GradeReport> {
  return grade(ctx.scenario, viewOf(ctx), { identity: ctx.identity, signal: ctx.signal, ...opts });
}

/** Runs the scenario's reference solution (validate, and "show me" in training), or one of its alternativeSolutions by name (validate). */
export async function applySolution(ctx: LifecycleContext, alternative?: string): Promise<void> {
  if (!alternative) return runSteps(ctx.scenario.solution, stepContext(ctx), 'solution');
  const alt = ctx.scenario.alternativeSolutions?.find((a) => a.name === alternative);
  if (!alt) throw new Error(`scenario ${ctx.scenario.id} has no alternative solution "${alternative}"`);
  await runSteps(alt.steps, stepContext(ctx), `alternative solution ${alt.name}`);
}

export async function teardown(ctx: { driver: ClusterDriver; cluster: string; log: ProgressFn }): Promise<void> {
  await ctx.driver.delete(ctx.cluster);
  ctx.log(`deleted cluster ${ctx.cluster}`);
}
