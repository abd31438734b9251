import { describe, expect, it } from 'vitest';
import { load } from 'js-yaml';
import type { ClusterSpec } from '../../clusters/driver.js';
import {
  KindDockerDriver,
  execArgs,
  interactiveShellArgs,
  kindConfigFor,
  kindCreateArgs,
  kubeconfigArgs,
  nodesFromNames,
} from '../../clusters/kind-docker.js';
import { CGROUP_V1_PATCH, OOM_SCORE_PATCH, clusterSpecFor } from '../../server/engine/lifecycle.js';

interface KindConfig {
  kind: string;
  apiVersion: string;
  name: string;
  nodes: Array<{ role: string; image: string }>;
  kubeadmConfigPatches?: string[];
  containerdConfigPatches?: string[];
}

const spec = (over: Partial<ClusterSpec> = {}): ClusterSpec => ({ name: 'kd-ab12cd', image: 'kubedrill/node:v1.34.4', workers: 2, ...over });
const parse = (s: ClusterSpec) => load(kindConfigFor(s)) as KindConfig;

// A driver whose binaries do not exist: every name check must fail before anything is run.
const driver = new KindDockerDriver({ kind: '/nonexistent/kind', docker: '/nonexistent/docker' });
const BAD_CLUSTER_NAMES = ['', 'KD-upper', '-kd', 'kd a', 'kd;rm -rf /', 'kd_x', `kd-${'a'.repeat(41)}`, '$(id)'];
const BAD_NODE_NAMES = ['', '-it', 'Node', 'a b', 'n;id', '../etc', `n${'a'.repeat(63)}`];

describe('kindConfigFor', () => {
  it('is a v1alpha4 Cluster with one control plane and N workers, all on the spec image', () => {
    const c = parse(spec());
    expect(c.kind).toBe('Cluster');
    expect(c.apiVersion).toBe('kind.x-k8s.io/v1alpha4');
    expect(c.name).toBe('kd-ab12cd');
    expect(c.nodes).toEqual([
      { role: 'control-plane', image: 'kubedrill/node:v1.34.4' },
      { role: 'worker', image: 'kubedrill/node:v1.34.4' },
      { role: 'worker', image: 'kubedrill/node:v1.34.4' },
    ]);
  });

  it('a zero-worker cluster is a single control plane', () => {
    expect(parse(spec({ workers: 0 })).nodes).toEqual([{ role: 'control-plane', image: 'kubedrill/node:v1.34.4' }]);
  });

  it('leaves the patch lists out when there are none', () => {
    const c = parse(spec({ kubeadmConfigPatches: [], containerdConfigPatches: [] }));
    expect(c).not.toHaveProperty('kubeadmConfigPatches');
    expect(c).not.toHaveProperty('containerdConfigPatches');
    expect(parse(spec())).not.toHaveProperty('kubeadmConfigPatches');
  });

  it('passes kubeadm and containerd patches through verbatim (multi-line strings survive the YAML)', () => {
    const kubeadm = ['kind: KubeletConfiguration\nfailCgroupV1: false\n', 'kind: ClusterConfiguration\napiServer:\n  extraArgs:\n    v: "2"\n'];
    const containerd = ['[plugins."io.containerd.grpc.v1.cri"]\n  restrict_oom_score_adj = true\n'];
    const c = parse(spec({ kubeadmConfigPatches: kubeadm, containerdConfigPatches: containerd }));
    expect(c.kubeadmConfigPatches).toEqual(kubeadm);
    expect(c.containerdConfigPatches).toEqual(containerd);
  });

  it('carries the engine\'s host-quirk patches (clusterSpecFor) unchanged', () => {
    const c = parse(clusterSpecFor('kd-xyz', 'kindest/node:v1.34.0', 1));
    expect(c.nodes.map((n) => n.role)).toEqual(['control-plane', 'worker']);
    expect(c.kubeadmConfigPatches).toEqual([CGROUP_V1_PATCH]);
    expect(c.containerdConfigPatches).toEqual([OOM_SCORE_PATCH]);
  });

  it('keeps a long image reference on one line (no YAML folding)', () => {
    const image = `registry.example.internal:5000/${'very-long-path/'.repeat(8)}node@sha256:${'0'.repeat(64)}`;
    const text = kindConfigFor(spec({ image }));
    expect(text).toContain(`image: ${image}\n`);
    expect(load(text)).toMatchObject({ nodes: [{ image }, { image }, { image }] });
  });
});

describe('kindCreateArgs', () => {
  it('is an argv array naming the cluster, image and config, retaining nodes on failure', () => {
    expect(kindCreateArgs(spec(), '/tmp/kubedrill-kind-x/kind.yaml')).toEqual([
      'create', 'cluster', '--name', 'kd-ab12cd', '--image', 'kubedrill/node:v1.34.4', '--config', '/tmp/kubedrill-kind-x/kind.yaml', '--retain',
    ]);
  });

  it('keeps a path with spaces or shell characters as one argument', () => {
    const args = kindCreateArgs(spec(), '/tmp/a dir/$(x);y.yaml');
    expect(args[args.indexOf('--config') + 1]).toBe('/tmp/a dir/$(x);y.yaml');
    expect(args).toHaveLength(9);
  });
});

describe('kubeconfigArgs', () => {
  it('asks kind for the host-side kubeconfig, or the internal one on request', () => {
    expect(kubeconfigArgs('kd-ab12cd')).toEqual(['get', 'kubeconfig', '--name', 'kd-ab12cd']);
    expect(kubeconfigArgs('kd-ab12cd', { internal: false })).toEqual(['get', 'kubeconfig', '--name', 'kd-ab12cd']);
    expect(kubeconfigArgs('kd-ab12cd', { internal: true })).toEqual(['get', 'kubeconfig', '--name', 'kd-ab12cd', '--internal']);
  });

  it.each(BAD_CLUSTER_NAMES)('rejects the cluster name %j', (name) => {
    expect(() => kubeconfigArgs(name)).toThrow(/invalid cluster name/);
  });
});

describe('execArgs', () => {
  it('without stdin: no -i, argv passed as separate arguments', () => {
    expect(execArgs('kd-ab12cd-control-plane', ['kubectl', 'get', 'pods', '-A'])).toEqual([
      'exec', 'kd-ab12cd-control-plane', 'kubectl', 'get', 'pods', '-A',
    ]);
    expect(execArgs('kd-ab12cd-worker', ['true'], { timeoutMs: 5 })).not.toContain('-i');
  });

  it('with stdin (even empty): -i right after exec', () => {
    expect(execArgs('kd-ab12cd-worker', ['bash', '-s'], { stdin: 'echo hi\n' })).toEqual(['exec', '-i', 'kd-ab12cd-worker', 'bash', '-s']);
    expect(execArgs('kd-ab12cd-worker', ['cat'], { stdin: '' })).toEqual(['exec', '-i', 'kd-ab12cd-worker', 'cat']);
  });

  it('never allocates a TTY', () => {
    const args = execArgs('kd-ab12cd-worker', ['bash', '-s'], { stdin: 'x' });
    expect(args).not.toContain('-t');
    expect(args).not.toContain('-it');
  });

  it('passes environment as -e NAME=value pairs before the node, values verbatim', () => {
    expect(execArgs('kd-ab12cd-worker', ['env'], { env: { A: '1', _B2: 'x y;$(z)', EMPTY: '' } })).toEqual([
      'exec', '-e', 'A=1', '-e', '_B2=x y;$(z)', '-e', 'EMPTY=', 'kd-ab12cd-worker', 'env',
    ]);
  });

  it('orders -i before the environment', () => {
    expect(execArgs('n1', ['sh'], { stdin: 'x', env: { K: 'v' } })).toEqual(['exec', '-i', '-e', 'K=v', 'n1', 'sh']);
  });

  it.each(['1A', 'A-B', 'A B', 'A=B', '', 'PATH;id', '$X'])('rejects the environment name %j', (name) => {
    expect(() => execArgs('kd-ab12cd-worker', ['env'], { env: { [name]: 'v' } })).toThrow(/invalid environment variable name/);
  });

  it.each(BAD_NODE_NAMES)('rejects the node name %j', (node) => {
    expect(() => execArgs(node, ['true'])).toThrow(/invalid node name/);
  });

  it('accepts kind node names with dots and digits', () => {
    expect(execArgs('kd-ab12cd-worker10', ['true'])[1]).toBe('kd-ab12cd-worker10');
    expect(execArgs('node.example-1', ['true'])[1]).toBe('node.example-1');
  });
});

describe('interactiveShell', () => {
  it('is docker exec with a TTY, TERM and /root, a login bash by default', () => {
    expect(driver.interactiveShell('kd-ab12cd-control-plane')).toEqual({
      file: '/nonexistent/docker',
      args: ['exec', '-it', '-e', 'TERM=xterm-256color', '-w', '/root', 'kd-ab12cd-control-plane', 'bash', '-l'],
    });
    expect(new KindDockerDriver({ kind: 'kind' }).interactiveShell('n1').file).toBe('docker');
  });

  it('runs a given argv instead', () => {
    expect(interactiveShellArgs('kd-ab12cd-worker', ['sh'])).toEqual(['exec', '-it', '-e', 'TERM=xterm-256color', '-w', '/root', 'kd-ab12cd-worker', 'sh']);
  });

  it.each(BAD_NODE_NAMES)('rejects the node name %j', (node) => {
    expect(() => driver.interactiveShell(node)).toThrow(/invalid node name/);
  });
});

describe('nodesFromNames', () => {
  it('maps container names to roles and aliases, control plane first, workers in numeric order', () => {
    const names = ['kd-ab12cd-worker10', 'kd-ab12cd-worker2', 'kd-ab12cd-control-plane', 'kd-ab12cd-worker', 'kd-ab12cd-worker3'];
    expect(nodesFromNames('kd-ab12cd', names)).toEqual([
      { name: 'kd-ab12cd-control-plane', role: 'control-plane', alias: 'control-plane' },
      { name: 'kd-ab12cd-worker', role: 'worker', alias: 'worker' },
      { name: 'kd-ab12cd-worker2', role: 'worker', alias: 'worker2' },
      { name: 'kd-ab12cd-worker3', role: 'worker', alias: 'worker3' },
      { name: 'kd-ab12cd-worker10', role: 'worker', alias: 'worker10' },
    ]);
  });

  it('ignores other clusters\' nodes (including a cluster whose name extends ours) and unknown roles', () => {
    const names = ['kd-ab-control-plane', 'kd-ab-worker', 'kd-abc-worker', 'kd-ab-external-load-balancer', 'kd-ab-workerx', 'other-worker', 'kd-ab'];
    expect(nodesFromNames('kd-ab', names).map((n) => n.name)).toEqual(['kd-ab-control-plane', 'kd-ab-worker']);
  });

  it('is empty when kind lists nothing', () => {
    expect(nodesFromNames('kd-ab', [])).toEqual([]);
  });
});

describe('KindDockerDriver name checks (nothing is run for a bad name)', () => {
  it.each(BAD_CLUSTER_NAMES)('rejects the cluster name %j', async (name) => {
    await expect(driver.create(spec({ name }))).rejects.toThrow(/invalid cluster name/);
    await expect(driver.delete(name)).rejects.toThrow(/invalid cluster name/);
    await expect(driver.nodes(name)).rejects.toThrow(/invalid cluster name/);
    await expect(driver.kubeconfig(name)).rejects.toThrow(/invalid cluster name/);
    await expect(driver.loadImages(name, ['img:1'])).rejects.toThrow(/invalid cluster name/);
  });

  it('rejects a bad node name in exec', async () => {
    await expect(driver.exec('a b', ['true'])).rejects.toThrow(/invalid node name/);
  });
});
