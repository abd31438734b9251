/**
 * Shared set-up for the real-cluster tests. They never skip: when Docker,
 * kind or the node image is missing, they fail and say what to run.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { KindDockerDriver } from '../../clusters/kind-docker.js';
import { OFFLINE_NODE_IMAGE } from '../../server/engine/node-image.js';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const corePack = path.join(repoRoot, 'scenarios', 'core');

export async function realDriver(): Promise<{ driver: KindDockerDriver; nodeImage: string }> {
  const driver = new KindDockerDriver();
  await driver.preflight(); // throws "Docker is not usable ... run clusters/host/setup.sh"
  const nodeImage = process.env.KUBEDRILL_NODE_IMAGE ?? OFFLINE_NODE_IMAGE;
  if (!(await driver.hasImage(nodeImage))) {
    throw new Error(
      `node image ${nodeImage} is not present: run clusters/image/build.sh (offline build), ` +
        'or set KUBEDRILL_NODE_IMAGE to an image kind can use',
    );
  }
  return { driver, nodeImage };
}

/** Test output that shows up in CI logs as it happens. */
export const say = (line: string) => process.stdout.write(`${line}\n`);
