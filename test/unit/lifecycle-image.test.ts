/**
 * What the engine does when the node image is not our offline image
 * (kindest/node online): an upgrade scenario stops before any fault with a
 * message that says what is missing, and workload images that are neither
 * in the nodes nor on the host are left to the kubelet instead of failing.
 */
import { describe, expect, it } from 'vitest';
import type { ClusterDriver, ExecResult } from '../../clusters/driver.js';
import { checkImageContract, ensureWorkloadImages, type LifecycleContext } from '../../server/engine/lifecycle.js';
import { tinyScenario } from './engine-driver.js';

function ctxWith(exec: (node: string, argv: string[]) => ExecResult, opts: { upgradeTarget?: boolean; images?: string[]; hostImages?: string[] } = {}) {
  const loaded: string[][] = [];
  const logs: string[] = [];
  const driver = {
    exec: async (node: string, argv: string[]) => exec(node, argv),
    hasImage: async (image: string) => (opts.hostImages ?? []).includes(image),
    loadImages: async (_c: string, images: string[]) => void loaded.push(images),
  } as unknown as ClusterDriver;
  const scenario = tinyScenario();
  scenario.cluster = { workers: 1, upgradeTarget: opts.upgradeTarget, images: opts.images };
  const ctx: LifecycleContext = {
    driver,
    scenario,
    cluster: 'kd-test',
    nodeImage: 'kindest/node:v1.34.0',
    nodes: [
      { name: 'kd-test-control-plane', role: 'control-plane', alias: 'control-plane' },
      { name: 'kd-test-worker', role: 'worker', alias: 'worker' },
    ],
    log: (l) => logs.push(l),
    stage: () => {},
  } as LifecycleContext;
  return { ctx, loaded, logs };
}

const res = (exitCode: number, stdout = '', stderr = ''): ExecResult => ({ exitCode, stdout, stderr });

describe('checkImageContract', () => {
  it('refuses an upgrade scenario on an image without the next minor, naming the image', async () => {
    const { ctx } = ctxWith(() => res(1, 'installed minor 34, newest available minor 34'), { upgradeTarget: true });
    await expect(checkImageContract(ctx)).rejects.toThrow(/needs an upgrade target.*kindest\/node:v1\.34\.0.*newest available minor 34/);
  });

  it('passes when apt offers a newer minor, and does nothing for other scenarios', async () => {
    const seen: string[][] = [];
    const ok = ctxWith((_n, argv) => (seen.push(argv), res(0, 'installed minor 34, newest available minor 35')), { upgradeTarget: true });
    await expect(checkImageContract(ok.ctx)).resolves.toBeUndefined();
    expect(seen).toHaveLength(1);
    const plain = ctxWith(() => {
      throw new Error('must not exec');
    });
    await expect(checkImageContract(plain.ctx)).resolves.toBeUndefined();
  });
});

describe('ensureWorkloadImages', () => {
  const notInNodes = (offline: boolean) => (_n: string, argv: string[]) =>
    argv[0] === 'test' ? res(offline ? 0 : 1) : res(0, ''); // ctr images ls prints nothing: not preloaded

  it('fails on our offline image when an image is nowhere to be found', async () => {
    const { ctx } = ctxWith(notInNodes(true), { images: ['nginx:1.22'] });
    await expect(ensureWorkloadImages(ctx)).rejects.toThrow(/images not available offline: nginx:1\.22/);
  });

  it('leaves unknown images to the kubelet on an online image, and still loads what the host has', async () => {
    const { ctx, loaded, logs } = ctxWith(notInNodes(false), { images: ['nginx:1.22', 'busybox:1.37'], hostImages: ['busybox:1.37'] });
    await ensureWorkloadImages(ctx);
    expect(loaded).toEqual([['busybox:1.37']]);
    expect(logs.join('\n')).toMatch(/kubelet will pull them: nginx:1\.22/);
  });
});
