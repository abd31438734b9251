import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { dump } from 'js-yaml';
import {
  CLUSTER_PREFIX,
  type ClusterDriver,
  type ClusterNode,
  type ClusterSpec,
  type ExecOptions,
  type ExecResult,
  type ProgressFn,
} from './driver.js';

/** Where the offline image build leaves binaries (kind among them). */
export const KUBEDRILL_CACHE = process.env.KUBEDRILL_CACHE ?? '/var/cache/kubedrill';

const CLUSTER_NAME = /^[a-z0-9][a-z0-9-]{0,40}$/;
const NODE_NAME = /^[a-z0-9][a-z0-9.-]{0,62}$/;

export interface KindDockerOptions {
  kind?: string; // path to the kind binary
  docker?: string; // path to the docker client
}

/** Finds kind: $KUBEDRILL_KIND, PATH, or the one the image build made. */
export function findKind(): string {
  if (process.env.KUBEDRILL_KIND) return process.env.KUBEDRILL_KIND;
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (dir && existsSync(path.join(dir, 'kind'))) return path.join(dir, 'kind');
  }
  const built = path.join(KUBEDRILL_CACHE, 'bin', 'kind-v0.30.0', 'kind');
  return existsSync(built) ? built : 'kind';
}

/**
 * The kind config for a spec. Nodes are one control plane plus N workers;
 * kind names their containers <name>-control-plane, <name>-worker,
 * <name>-worker2, ... which is what scenarios call "aliases".
 */
export function kindConfigFor(spec: ClusterSpec): string {
  const config: Record<string, unknown> = {
    kind: 'Cluster',
    apiVersion: 'kind.x-k8s.io/v1alpha4',
    name: spec.name,
    nodes: [
      { role: 'control-plane', image: spec.image },
      ...Array.from({ length: spec.workers }, () => ({ role: 'worker', image: spec.image })),
    ],
  };
  if (spec.kubeadmConfigPatches?.length) config.kubeadmConfigPatches = spec.kubeadmConfigPatches;
  if (spec.containerdConfigPatches?.length) config.containerdConfigPatches = spec.containerdConfigPatches;
  return dump(config, { lineWidth: -1 });
}

/** Argument vector for `kind create cluster` (never a shell string). */
export function kindCreateArgs(spec: ClusterSpec, configPath: string): string[] {
  return ['create', 'cluster', '--name', spec.name, '--image', spec.image, '--config', configPath, '--retain'];
}

/** Maps kind's container names to roles and scenario aliases. */
export function nodesFromNames(cluster: string, names: string[]): ClusterNode[] {
  const nodes: ClusterNode[] = [];
  for (const name of names) {
    if (!name.startsWith(`${cluster}-`)) continue;
    const alias = name.slice(cluster.length + 1);
    if (alias === 'control-plane') nodes.push({ name, role: 'control-plane', alias });
    else if (/^worker\d*$/.test(alias)) nodes.push({ name, role: 'worker', alias });
  }
  const order = (n: ClusterNode) => (n.role === 'control-plane' ? 0 : Number(n.alias.slice(6) || 1));
  return nodes.sort((a, b) => order(a) - order(b));
}

export class KindDockerDriver implements ClusterDriver {
  readonly name = 'kind-docker';
  private readonly kind: string;
  private readonly docker: string;

  constructor(opts: KindDockerOptions = {}) {
    this.kind = opts.kind ?? findKind();
    this.docker = opts.docker ?? 'docker';
  }

  async preflight(): Promise<void> {
    const docker = await execa(this.docker, ['info', '--format', '{{.ServerVersion}}'], { reject: false, timeout: 20_000 });
    if (docker.exitCode !== 0) {
      throw new Error(
        `Docker is not usable (${(docker.stderr || String(docker.exitCode)).trim().split('\n')[0]}). ` +
          'Run clusters/host/setup.sh (installs and starts dockerd, fixes privileged containers).',
      );
    }
    const kind = await execa(this.kind, ['version'], { reject: false, timeout: 20_000 });
    if (kind.exitCode !== 0) {
      throw new Error(`kind is not usable at "${this.kind}". Run clusters/image/build.sh (builds kind) or install kind.`);
    }
  }

  async create(spec: ClusterSpec, onProgress: ProgressFn = () => {}, signal?: AbortSignal): Promise<void> {
    assertClusterName(spec.name);
    const dir = await mkdtemp(path.join(tmpdir(), 'kubedrill-kind-'));
    const configPath = path.join(dir, 'kind.yaml');
    try {
      await writeFile(configPath, kindConfigFor(spec));
      const proc = execa(this.kind, kindCreateArgs(spec, configPath), { reject: false, all: true, cancelSignal: signal });
      proc.all?.on('data', (chunk: Buffer) => {
        for (const line of chunk.toString().split(/\r?\n/)) if (line.trim()) onProgress(line.trimEnd());
      });
      const result = await proc;
      if (result.exitCode !== 0) {
        const tail = String(result.all ?? '').trim().split('\n').slice(-8).join('\n');
        throw new Error(`kind create cluster ${spec.name} failed (exit ${result.exitCode}):\n${tail}`);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  async delete(name: string): Promise<void> {
    assertClusterName(name);
    const r = await execa(this.kind, ['delete', 'cluster', '--name', name], { reject: false, all: true });
    if (r.exitCode !== 0) throw new Error(`kind delete cluster ${name} failed: ${String(r.all).trim()}`);
  }

  async list(): Promise<string[]> {
    const r = await execa(this.kind, ['get', 'clusters'], { reject: false });
    if (r.exitCode !== 0) throw new Error(`kind get clusters failed: ${r.stderr}`);
    return r.stdout.split('\n').map((s) => s.trim()).filter((s) => s.startsWith(CLUSTER_PREFIX));
  }

  async nodes(cluster: string): Promise<ClusterNode[]> {
    assertClusterName(cluster);
    const r = await execa(this.kind, ['get', 'nodes', '--name', cluster], { reject: false });
    if (r.exitCode !== 0) throw new Error(`kind get nodes --name ${cluster} failed: ${r.stderr}`);
    return nodesFromNames(cluster, r.stdout.split('\n').map((s) => s.trim()).filter(Boolean));
  }

  async exec(node: string, argv: string[], opts: ExecOptions = {}): Promise<ExecResult> {
    const args = execArgs(node, argv, opts);
    const r = await execa(this.docker, args, {
      input: opts.stdin,
      reject: false,
      timeout: opts.timeoutMs ?? 120_000,
      stripFinalNewline: false,
    });
    return {
      exitCode: r.exitCode ?? (r.timedOut ? 124 : 1),
      stdout: String(r.stdout ?? ''),
      stderr: String(r.stderr ?? ''),
      timedOut: r.timedOut,
    };
  }

  async kubeconfig(cluster: string, opts: { internal?: boolean } = {}): Promise<string> {
    const r = await execa(this.kind, kubeconfigArgs(cluster, opts), { reject: false, timeout: 60_000 });
    if (r.exitCode !== 0) throw new Error(`kind get kubeconfig --name ${cluster} failed: ${String(r.stderr).trim()}`);
    return r.stdout;
  }

  interactiveShell(node: string, argv: string[] = ['bash', '-l']): { file: string; args: string[] } {
    return { file: this.docker, args: interactiveShellArgs(node, argv) };
  }

  async hasImage(image: string): Promise<boolean> {
    const r = await execa(this.docker, ['image', 'inspect', '--format', '{{.Id}}', image], { reject: false });
    return r.exitCode === 0;
  }

  async loadImages(cluster: string, images: string[], onProgress: ProgressFn = () => {}): Promise<void> {
    assertClusterName(cluster);
    if (images.length === 0) return;
    const r = await execa(this.kind, ['load', 'docker-image', '--name', cluster, ...images], { reject: false, all: true });
    for (const line of String(r.all ?? '').split('\n')) if (line.trim()) onProgress(line);
    if (r.exitCode !== 0) throw new Error(`kind load docker-image failed: ${String(r.all).trim()}`);
  }
}

/** `kind get kubeconfig` argument vector; `--internal` for the address inside the node network. */
export function kubeconfigArgs(cluster: string, opts: { internal?: boolean } = {}): string[] {
  assertClusterName(cluster);
  return ['get', 'kubeconfig', '--name', cluster, ...(opts.internal ? ['--internal'] : [])];
}

/** docker exec argument vector for an interactive login shell on a node (a TTY, stdin attached). */
export function interactiveShellArgs(node: string, argv: string[] = ['bash', '-l']): string[] {
  assertNodeName(node);
  return ['exec', '-it', '-e', 'TERM=xterm-256color', '-w', '/root', node, ...argv];
}

/** docker exec argument vector; stdin only when there is input. */
export function execArgs(node: string, argv: string[], opts: ExecOptions = {}): string[] {
  assertNodeName(node);
  const args = ['exec'];
  if (opts.stdin !== undefined) args.push('-i');
  for (const [k, v] of Object.entries(opts.env ?? {})) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw new Error(`invalid environment variable name: ${k}`);
    args.push('-e', `${k}=${v}`);
  }
  args.push(node, ...argv);
  return args;
}

function assertClusterName(name: string): void {
  if (!CLUSTER_NAME.test(name)) throw new Error(`invalid cluster name: ${JSON.stringify(name)}`);
}
function assertNodeName(name: string): void {
  if (!NODE_NAME.test(name)) throw new Error(`invalid node name: ${JSON.stringify(name)}`);
}
