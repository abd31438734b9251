import type { ClusterDriver } from '../../clusters/driver.js';
import type { Scenario } from '../scenarios/types.js';

/** Kubedrill's offline images (clusters/image/build.sh), by Kubernetes minor. */
export const OFFLINE_NODE_IMAGES: Record<string, string> = {
  'v1.34': 'kubedrill/node:v1.34.4',
  // Further minors are built as image profiles (clusters/image/profiles/*.env).
};
/** kind v0.30's images for the same minors, for machines that can pull. */
export const ONLINE_NODE_IMAGES: Record<string, string> = {
  'v1.34': 'kindest/node:v1.34.0',
  'v1.33': 'kindest/node:v1.33.4',
  'v1.35': 'kindest/node:v1.35.0',
};
export const DEFAULT_MINOR = 'v1.34';
export const OFFLINE_NODE_IMAGE = OFFLINE_NODE_IMAGES[DEFAULT_MINOR]!;
export const ONLINE_NODE_IMAGE = ONLINE_NODE_IMAGES[DEFAULT_MINOR]!;

/** "v1.33.13" / "1.33" / "v1.33" -> "v1.33" */
export function minorOf(version: string): string {
  const m = /^v?(\d+)\.(\d+)/.exec(version.trim());
  if (!m) throw new Error(`not a Kubernetes version: "${version}"`);
  return `v${m[1]}.${m[2]}`;
}

/** The minor an image reference's tag names, if any (kindest/node:v1.34.0 -> v1.34). */
export function imageMinor(image: string): string | undefined {
  const tag = image.slice(image.lastIndexOf(':') + 1);
  return /^v?\d+\.\d+/.test(tag) ? minorOf(tag) : undefined;
}

/**
 * Which node image a new cluster uses by default: $KUBEDRILL_NODE_IMAGE,
 * else our offline image when it has been built, else the standard
 * kindest/node (pulled by kind on first use, online).
 */
export async function resolveNodeImage(driver: ClusterDriver, log: (l: string) => void = () => {}): Promise<string> {
  const fromEnv = process.env.KUBEDRILL_NODE_IMAGE;
  if (fromEnv) return fromEnv;
  if (await driver.hasImage(OFFLINE_NODE_IMAGE)) return OFFLINE_NODE_IMAGE;
  log(`offline node image ${OFFLINE_NODE_IMAGE} not found; using ${ONLINE_NODE_IMAGE} (needs a registry)`);
  return ONLINE_NODE_IMAGE;
}

/**
 * The node image for one scenario: the default image, unless the scenario
 * asks for another Kubernetes minor (cluster.kubernetesVersion), in which
 * case that minor's offline image if built, else its kindest/node image.
 */
export async function nodeImageForScenario(driver: ClusterDriver, scenario: Scenario, defaultImage: string): Promise<string> {
  const wanted = scenario.cluster.kubernetesVersion;
  if (!wanted) return defaultImage;
  const minor = minorOf(wanted);
  if (imageMinor(defaultImage) === minor) return defaultImage;
  const offline = OFFLINE_NODE_IMAGES[minor];
  if (offline && (await driver.hasImage(offline))) return offline;
  const online = ONLINE_NODE_IMAGES[minor];
  if (online) return online;
  throw new Error(`scenario ${scenario.id} needs Kubernetes ${wanted}; no node image is known for ${minor}`);
}
