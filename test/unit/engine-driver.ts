/**
 * A scripted ClusterDriver for engine unit tests: clusters "exist" in
 * memory, kubectl answers with healthy nodes, and hold(op) parks the next
 * create / delete / exec call until the test releases it (to run end()
 * while a reset, a bring-up or a Check is in flight).
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ClusterDriver, ClusterNode, ExecOptions, ExecResult } from '../../clusters/driver.js';
import { Engine, type EngineLimits } from '../../server/engine/engine.js';
import { ClusterRegistry } from '../../server/engine/registry.js';
import type { Scenario } from '../../server/scenarios/types.js';

type Op = 'create' | 'delete' | 'exec';

export interface Hold {
  /** Resolves once a call is parked at the hold. */
  reached: Promise<void>;
  release(): void;
}

export interface ScriptedDriver extends ClusterDriver {
  readonly live: Set<string>;
  readonly created: string[];
  readonly deleted: string[];
  /** Parks the next call of op until release(); a parked create also ends on its abort signal. */
  hold(op: Op): Hold;
}

export function scriptedDriver(): ScriptedDriver {
  const nodesOf = new Map<string, ClusterNode[]>();
  const holds = new Map<Op, { reached: () => void; released: Promise<void> }>();
  async function pass(op: Op, signal?: AbortSignal): Promise<void> {
    const h = holds.get(op);
    if (!h) return;
    holds.delete(op);
    h.reached();
    const aborted = new Promise<never>((_, reject) => signal?.addEventListener('abort', () => reject(new Error('cancelled')), { once: true }));
    await (signal ? Promise.race([h.released, aborted]) : h.released);
  }

  const driver: ScriptedDriver = {
    name: 'scripted',
    live: new Set(),
    created: [],
    deleted: [],
    hold(op) {
      let reached!: () => void;
      let release!: () => void;
      const reachedP = new Promise<void>((r) => (reached = r));
      holds.set(op, { reached, released: new Promise<void>((r) => (release = r)) });
      return { reached: reachedP, release };
    },
    async preflight() {},
    async create(spec, _log, signal) {
      driver.created.push(spec.name);
      driver.live.add(spec.name);
      const nodes: ClusterNode[] = [{ name: `${spec.name}-control-plane`, role: 'control-plane', alias: 'control-plane' }];
      for (let i = 1; i <= spec.workers; i++) nodes.push({ name: `${spec.name}-worker${i > 1 ? i : ''}`, role: 'worker', alias: `worker${i > 1 ? i : ''}` });
      nodesOf.set(spec.name, nodes);
      await pass('create', signal);
    },
    async delete(name) {
      await pass('delete');
      driver.deleted.push(name);
      driver.live.delete(name);
    },
    async list() {
      return [...driver.live];
    },
    async nodes(cluster) {
      return nodesOf.get(cluster) ?? [];
    },
    async exec(node: string, argv: string[], opts: ExecOptions = {}) {
      await pass('exec');
      const cluster = [...nodesOf].find(([, ns]) => ns.some((n) => n.name === node))?.[0];
      const nodes = cluster && driver.live.has(cluster) ? nodesOf.get(cluster)! : [];
      if (!nodes.length) return { exitCode: 1, stdout: '', stderr: `Error: No such container: ${node}` };
      return healthyClusterAnswer(nodes, argv, opts);
    },
    ...FAKE_DRIVER_BASICS,
  };
  return driver;
}

const ok = (stdout = ''): ExecResult => ({ exitCode: 0, stdout, stderr: '' });

/** What a healthy cluster answers to the lifecycle's own commands (nodes Ready, system workloads, CA hash). */
export function healthyClusterAnswer(nodes: ClusterNode[], argv: string[], opts: ExecOptions = {}): ExecResult {
  const a = argv.join(' ');
  if (a.includes(' get nodes')) return ok(JSON.stringify({ items: nodes.map((n, i) => ({ metadata: { name: n.name, uid: `uid-${i}` }, status: { conditions: [{ type: 'Ready', status: 'True' }] } })) }));
  if (a.includes('daemonsets,deployments')) return ok('{"items":[]}');
  if (argv[0] === 'bash' && opts.stdin?.includes('sha256sum')) return ok(`${'a'.repeat(64)}  /etc/kubernetes/pki/ca.crt\n`);
  return ok();
}

/** The parts of a fake ClusterDriver no test needs to vary. */
export const FAKE_DRIVER_BASICS: Pick<ClusterDriver, 'kubeconfig' | 'interactiveShell' | 'hasImage' | 'loadImages'> = {
  async kubeconfig(cluster) {
    return `apiVersion: v1\nkind: Config\nclusters:\n- name: kind-${cluster}\n`;
  },
  interactiveShell(node) {
    return { file: 'docker', args: ['exec', '-it', node, 'bash'] };
  },
  async hasImage() {
    return true;
  },
  async loadImages() {},
};

/** A scenario with nothing to set up or inject: the bring-up is just the lifecycle's own actions. */
export function tinyScenario(id = 'tiny'): Scenario {
  return {
    id,
    title: `Tiny ${id}`,
    domain: 'troubleshooting',
    difficulty: 'easy',
    minutes: 5,
    summary: 'A scenario for engine tests.',
    cluster: { workers: 1 },
    setup: [],
    faults: [],
    task: 'Look at {{nodes.worker}}.',
    hints: ['Try `kubectl get nodes`.'],
    solution: [{ run: { node: 'worker', script: 'true' } }],
    checks: [],
  };
}

export interface TestEngine {
  engine: Engine;
  driver: ScriptedDriver;
  registry: ClusterRegistry;
}

export function testEngine(scenarios: Scenario[] = [tinyScenario()], limits: EngineLimits = {}): TestEngine {
  const driver = scriptedDriver();
  const registry = new ClusterRegistry(driver, () => {}, mkdtempSync(path.join(os.tmpdir(), 'kd-engine-')));
  const engine = new Engine(driver, 'kubedrill/node:test', registry, scenarios, () => {}, limits);
  return { engine, driver, registry };
}

export async function until(what: string, pred: () => boolean, timeoutMs = 3000): Promise<void> {
  const t0 = Date.now();
  while (!pred()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}
