import type { ClusterDriver } from '../../clusters/driver.js';

/** Kubedrill's offline image (clusters/image/build.sh) and kind v0.30's default. */
export const OFFLINE_NODE_IMAGE = 'kubedrill/node:v1.34.4';
export const ONLINE_NODE_IMAGE = 'kindest/node:v1.34.0';

/**
 * Which node image a new cluster uses: $KUBEDRILL_NODE_IMAGE, else our
 * offline image when it has been built, else the standard kindest/node
 * (pulled by kind on first use, online).
 */
export async function resolveNodeImage(driver: ClusterDriver, log: (l: string) => void = () => {}): Promise<string> {
  const fromEnv = process.env.KUBEDRILL_NODE_IMAGE;
  if (fromEnv) return fromEnv;
  if (await driver.hasImage(OFFLINE_NODE_IMAGE)) return OFFLINE_NODE_IMAGE;
  log(`offline node image ${OFFLINE_NODE_IMAGE} not found; using ${ONLINE_NODE_IMAGE} (needs a registry)`);
  return ONLINE_NODE_IMAGE;
}
