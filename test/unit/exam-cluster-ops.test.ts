/**
 * lifecycleOps on a scripted driver: the exam bring-up reuses the engine's
 * lifecycle actions, provisions once per cluster (workers and images for all
 * its tasks) and applies each task's setup + faults in task order.
 */
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ClusterDriver, ClusterNode, ClusterSpec, ExecOptions, ExecResult } from '../../clusters/driver.js';
import { qualifiedImage } from '../../server/engine/lifecycle.js';
import { FAKE_DRIVER_BASICS, healthyClusterAnswer } from './engine-driver.js';
import { lifecycleOps } from '../../server/exams/cluster-ops.js';
import { loadPack } from '../../server/scenarios/loader.js';
import type { Scenario } from '../../server/scenarios/types.js';

let scenarios: Map<string, Scenario>;
beforeAll(() => {
  scenarios = new Map(loadPack(path.resolve(import.meta.dirname, '../../scenarios/core')).scenarios.map((s) => [s.id, s]));
});

function scriptedDriver() {
  const calls: Array<{ node: string; argv: string[]; stdin?: string }> = [];
  const created: ClusterSpec[] = [];
  let nodes: ClusterNode[] = [];
  const ok = (stdout = ''): ExecResult => ({ exitCode: 0, stdout, stderr: '' });
  const driver: ClusterDriver = {
    name: 'scripted',
    async preflight() {},
    async create(spec) {
      created.push(spec);
      nodes = [{ name: `${spec.name}-control-plane`, role: 'control-plane', alias: 'control-plane' }];
      for (let i = 1; i <= spec.workers; i++) nodes.push({ name: `${spec.name}-worker${i > 1 ? i : ''}`, role: 'worker', alias: `worker${i > 1 ? i : ''}` });
    },
    async delete() {},
    async list() {
      return created.map((c) => c.name);
    },
    async nodes() {
      return nodes;
    },
    async exec(node: string, argv: string[], opts: ExecOptions = {}) {
      calls.push({ node, argv, stdin: opts.stdin });
      if (argv[0] === 'ctr') return ok(argv.at(-1)!.replace('name==', '') + '\n'); // every image preloaded
      return healthyClusterAnswer(nodes, argv, opts);
    },
    ...FAKE_DRIVER_BASICS,
  };
  return { driver, calls, created };
}

describe('lifecycleOps (exam clusters)', () => {
  it('provisions once with every task\'s needs and applies setup + faults in task order', async () => {
    const { driver, calls, created } = scriptedDriver();
    const ops = lifecycleOps(driver, 'kubedrill/node:test');
    const stages: string[] = [];
    const up = await ops.bringUp(
      { kindName: 'kd-xabc123-b', workers: 1, scenarios: [scenarios.get('service-no-endpoints')!, scenarios.get('default-storageclass-switch')!] },
      () => {},
      (s) => stages.push(s),
      new AbortController().signal,
    );
    expect(created).toHaveLength(1);
    expect(created[0]).toMatchObject({ name: 'kd-xabc123-b', workers: 1, image: 'kubedrill/node:test' });
    expect(up.nodes.map((n) => n.alias)).toEqual(['control-plane', 'worker']);
    expect(up.identity?.nodes).toEqual({ 'kd-xabc123-b-control-plane': 'uid-0', 'kd-xabc123-b-worker': 'uid-1' });
    // Images of both tasks were looked for in the nodes.
    const images = calls.filter((c) => c.argv[0] === 'ctr').map((c) => c.argv.at(-1));
    const wanted = ['service-no-endpoints', 'default-storageclass-switch'].flatMap((id) => scenarios.get(id)!.cluster.images ?? []);
    expect(new Set(images)).toEqual(new Set(wanted.map((i) => `name==${qualifiedImage(i)}`)));
    // Task 1 setup, task 1 fault, then task 2 setup.
    const applied = calls.filter((c) => c.argv.includes('apply')).map((c) => /kind: (\w+)\s+metadata:\s+name: ([\w-]+)/.exec(c.stdin ?? '')?.slice(1, 3).join('/'));
    expect(applied).toEqual(['Namespace/store', 'Service/checkout', 'StorageClass/fast-local']);
    expect(stages.filter((s, i) => s !== stages[i - 1])).toEqual(['provisioning', 'preparing', 'injecting']);

    const report = await ops.grade({ kindName: 'kd-xabc123-b', nodes: up.nodes, identity: up.identity }, scenarios.get('default-storageclass-switch')!);
    expect(report.checks.map((c) => c.id)).toEqual(expect.arrayContaining(['fast-local-default', 'standard-not-default', 'new-claim-gets-fast-local']));
    expect(ops.shell('kd-xabc123-b-worker')).toEqual({ file: 'docker', args: ['exec', '-it', 'kd-xabc123-b-worker', 'bash'] });
    expect(await ops.exists('kd-xabc123-b')).toBe(true);
  });
});
