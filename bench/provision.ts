/**
 * Provisioning benchmark: Kubedrill's bring-up of a scenario (create,
 * wait healthy, prepare, inject) against a bare `kind create cluster` of
 * the same shape and image, in the same run. Prints the ratio; run it on an
 * otherwise idle machine.
 *
 *   npx tsx bench/provision.ts [--scenario kubelet-stopped] [--rounds 2]
 */
import { execa } from 'execa';
import { randomBytes } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { findKind, KindDockerDriver, kindConfigFor } from '../clusters/kind-docker.js';
import { bringUp, clusterSpecFor, teardown, type LifecycleContext } from '../server/engine/lifecycle.js';
import { resolveNodeImage } from '../server/engine/node-image.js';
import { loadPack } from '../server/scenarios/loader.js';

const args = process.argv.slice(2);
const opt = (name: string, def: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1]! : def;
};
const scenarioId = opt('scenario', 'kubelet-stopped');
const rounds = Number(opt('rounds', '2'));

const driver = new KindDockerDriver();
await driver.preflight();
const nodeImage = await resolveNodeImage(driver);
const scenario = loadPack(path.resolve('scenarios/core')).scenarios.find((s) => s.id === scenarioId);
if (!scenario) throw new Error(`unknown scenario ${scenarioId}`);

async function bareKind(): Promise<number> {
  const name = `kd-b${randomBytes(3).toString('hex')}`;
  const dir = await mkdtemp(path.join(tmpdir(), 'kd-bench-'));
  const cfg = path.join(dir, 'kind.yaml');
  await writeFile(cfg, kindConfigFor(clusterSpecFor(name, nodeImage, scenario!.cluster.workers)));
  const t0 = Date.now();
  // --wait: kind's own readiness wait for the control plane, the fair baseline.
  await execa(findKind(), ['create', 'cluster', '--name', name, '--config', cfg, '--wait', '5m']);
  const ms = Date.now() - t0;
  await driver.delete(name);
  return ms;
}

async function engine(): Promise<number> {
  const ctx: LifecycleContext = {
    driver,
    scenario: scenario!,
    cluster: `kd-b${randomBytes(3).toString('hex')}`,
    nodeImage,
    nodes: [],
    log: () => {},
    stage: () => {},
  };
  const t0 = Date.now();
  await bringUp(ctx);
  const ms = Date.now() - t0;
  await teardown(ctx);
  return ms;
}

const bare: number[] = [];
const ours: number[] = [];
for (let i = 0; i < rounds; i++) {
  bare.push(await bareKind());
  ours.push(await engine());
  console.log(`round ${i + 1}: bare kind ${(bare[i]! / 1000).toFixed(1)}s, kubedrill bring-up ${(ours[i]! / 1000).toFixed(1)}s`);
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log(`scenario ${scenarioId} on ${nodeImage}, ${scenario.cluster.workers + 1} nodes, ${rounds} rounds`);
console.log(`median: bare kind ${(median(bare) / 1000).toFixed(1)}s, kubedrill ${(median(ours) / 1000).toFixed(1)}s, ratio ${(median(ours) / median(bare)).toFixed(2)}x`);
