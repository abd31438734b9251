/**
 * The offline node image on a real engine: a 3-node cluster (1 control
 * plane, 2 workers) comes up Ready with every system pod running and no
 * image pulls, and the image contract (tools, upgrade target) holds.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterNode } from '../../clusters/driver.js';
import type { KindDockerDriver } from '../../clusters/kind-docker.js';
import { clusterSpecFor, kubectlOn, waitForClusterHealthy } from '../../server/engine/lifecycle.js';
import { ClusterRegistry } from '../../server/engine/registry.js';
import { realDriver, say } from './support.js';

const cluster = `kd-t${randomBytes(3).toString('hex')}`;
let driver: KindDockerDriver;
let nodes: ClusterNode[] = [];
let registry: ClusterRegistry;

beforeAll(async () => {
  const real = await realDriver();
  driver = real.driver;
  registry = new ClusterRegistry(driver, say);
  await registry.claim(cluster);
  const t0 = Date.now();
  await driver.create(clusterSpecFor(cluster, real.nodeImage, 2), (l) => say(`[kind] ${l}`));
  nodes = await driver.nodes(cluster);
  await waitForClusterHealthy({ driver, nodes, log: say });
  say(`3-node cluster ${cluster} healthy in ${((Date.now() - t0) / 1000).toFixed(0)}s`);
});

afterAll(async () => {
  if (cluster && driver) await driver.delete(cluster).catch(() => {});
  registry?.release(cluster);
});

describe('offline node image', () => {
  it('brings up 1 control plane + 2 workers, all Ready', async () => {
    expect(nodes.map((n) => n.alias)).toEqual(['control-plane', 'worker', 'worker2']);
    const r = await kubectlOn(driver, nodes)(['get', 'nodes', '-o', 'json']);
    const items = JSON.parse(r.stdout).items as Array<{ status: { conditions: Array<{ type: string; status: string }>; nodeInfo: { kubeletVersion: string } } }>;
    expect(items).toHaveLength(3);
    for (const n of items) {
      expect(n.status.conditions.find((c) => c.type === 'Ready')?.status).toBe('True');
      expect(n.status.nodeInfo.kubeletVersion).toBe('v1.34.4');
    }
  });

  it('runs every pod in every namespace without pulling an image', async () => {
    const r = await kubectlOn(driver, nodes)(['get', 'pods', '-A', '-o', 'json']);
    const pods = JSON.parse(r.stdout).items as Array<{
      metadata: { namespace: string; name: string };
      status: { phase: string; containerStatuses?: Array<{ state: { waiting?: { reason: string } } }> };
    }>;
    expect(pods.length).toBeGreaterThanOrEqual(10);
    const waiting = pods.flatMap((p) =>
      (p.status.containerStatuses ?? []).filter((c) => c.state.waiting).map((c) => `${p.metadata.namespace}/${p.metadata.name}: ${c.state.waiting!.reason}`),
    );
    expect(waiting).toEqual([]);
    expect(pods.filter((p) => p.status.phase !== 'Running').map((p) => p.metadata.name)).toEqual([]);
    const events = await kubectlOn(driver, nodes)(['get', 'events', '-A', '--field-selector', 'reason=Pulling', '-o', 'name']);
    expect(events.stdout.trim()).toBe('');
  });

  it('provides the practice tooling and the upgrade target (image contract)', async () => {
    const cp = nodes[0].name;
    const sh = (script: string) => driver.exec(cp, ['bash', '-c', script]);
    expect((await sh('etcdctl version')).stdout).toContain('etcdctl version: 3.6.5');
    expect((await sh('etcdutl version')).stdout).toContain('etcdutl version: 3.6.5');
    expect((await sh('command -v vim && test -f /usr/share/bash-completion/bash_completion && test -s /usr/share/bash-completion/completions/kubectl')).exitCode).toBe(0);
    expect((await sh('apt-mark showhold')).stdout.split('\n').sort()).toEqual(expect.arrayContaining(['kubeadm', 'kubectl', 'kubelet']));
    const policy = await sh('apt-get update -qq >/dev/null 2>&1; apt-cache madison kubeadm');
    expect(policy.stdout).toContain('1.35.4-1.1');
    const images = await sh('crictl images -o json | jq -r ".images[].repoTags[]"');
    for (const ref of ['registry.k8s.io/kube-apiserver:v1.35.4', 'registry.k8s.io/kube-proxy:v1.35.4', 'registry.k8s.io/etcd:3.6.6-0', 'registry.k8s.io/coredns/coredns:v1.13.1']) {
      expect(images.stdout).toContain(ref);
    }
    // Workers carry the upgrade target too (kube-proxy and CoreDNS move there).
    const w = await driver.exec(nodes[1].name, ['bash', '-c', 'crictl images -o json | jq -r ".images[].repoTags[]"']);
    expect(w.stdout).toContain('registry.k8s.io/kube-proxy:v1.35.4');
  });
});
