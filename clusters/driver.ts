/**
 * The cluster driver: the one small interface between Kubedrill's engine and
 * whatever runs the nodes. kind on a local Docker engine is the first
 * implementation (kind-docker.ts); a remote Docker host or Podman would be
 * another, without touching the engine.
 */

export type NodeRole = 'control-plane' | 'worker';

export interface ClusterSpec {
  /** Cluster name; must start with CLUSTER_PREFIX so we can find orphans. */
  name: string;
  /** Node image, e.g. kubedrill/node:v1.34.4 or kindest/node:v1.34.0. */
  image: string;
  /** Number of worker nodes (one control plane is always created). */
  workers: number;
  /** Extra kubeadm config patches (YAML strings), merged by kind. */
  kubeadmConfigPatches?: string[];
  /** containerd config patches (TOML strings), merged by kind. */
  containerdConfigPatches?: string[];
}

export interface ClusterNode {
  /** Kubernetes node name == container name, e.g. kd-ab12cd-worker. */
  name: string;
  role: NodeRole;
  /** Short alias used by scenarios: "control-plane", "worker", "worker2". */
  alias: string;
}

export interface ExecOptions {
  /** Data written to the command's stdin. */
  stdin?: string;
  timeoutMs?: number;
  env?: Record<string, string>;
}

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  timedOut?: boolean;
}

/** Progress callback: one line of human-readable output at a time. */
export type ProgressFn = (line: string) => void;

export interface ClusterDriver {
  readonly name: string;
  /** Checks the engine and kind are usable; throws an Error naming what is missing. */
  preflight(): Promise<void>;
  create(spec: ClusterSpec, onProgress?: ProgressFn, signal?: AbortSignal): Promise<void>;
  delete(name: string): Promise<void>;
  /** Names of clusters made by Kubedrill (prefix match). */
  list(): Promise<string[]>;
  nodes(cluster: string): Promise<ClusterNode[]>;
  /** Runs argv inside a node container. Never goes through a shell on the host. */
  exec(node: string, argv: string[], opts?: ExecOptions): Promise<ExecResult>;
  /**
   * The cluster's kubeconfig (YAML). By default its server is reachable from
   * the host; `internal` gives the address seen from inside the node network.
   */
  kubeconfig(cluster: string, opts?: { internal?: boolean }): Promise<string>;
  /** The program and arguments that open an interactive shell in a node (for node-pty). */
  interactiveShell(node: string, argv?: string[]): { file: string; args: string[] };
  /** Whether an image exists locally (so kind will not try to pull it). */
  hasImage(image: string): Promise<boolean>;
  /** Loads local images into every node of a cluster. */
  loadImages(cluster: string, images: string[], onProgress?: ProgressFn): Promise<void>;
}

/** Every cluster Kubedrill creates has a name starting with this. */
export const CLUSTER_PREFIX = 'kd-';
