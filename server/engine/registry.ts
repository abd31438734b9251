import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import type { ClusterDriver } from '../../clusters/driver.js';

/**
 * Which process owns which Kubedrill cluster. A cluster is an orphan when
 * the process that made it is gone (a crash, a killed test run); orphans are
 * deleted at the next start. Several Kubedrill processes (a server, a
 * validate run, a test suite) can share one machine without deleting each
 * other's clusters.
 */
export class ClusterRegistry {
  readonly dir: string;

  constructor(
    private readonly driver: ClusterDriver,
    private readonly log: (l: string) => void = () => {},
    dir = defaultStateDir(),
  ) {
    this.dir = path.join(dir, 'clusters');
    mkdirSync(this.dir, { recursive: true });
  }

  /**
   * Records this process as the cluster's owner. `keepUntil` (ISO time) keeps
   * the cluster through a restart: deleteOrphans leaves it alone until then
   * even when the owner is gone (a running mock exam resumes on restart).
   */
  async claim(cluster: string, opts: { keepUntil?: string; holder?: string } = {}): Promise<void> {
    writeFileSync(path.join(this.dir, cluster), JSON.stringify({ pid: process.pid, at: new Date().toISOString(), ...opts }));
  }

  /** A claim's keepUntil time (ms) when still in the future. */
  keptUntil(cluster: string): number | undefined {
    try {
      const t = Date.parse(JSON.parse(readFileSync(path.join(this.dir, cluster), 'utf8')).keepUntil);
      return Number.isFinite(t) && t > Date.now() ? t : undefined;
    } catch {
      return undefined;
    }
  }

  release(cluster: string): void {
    rmSync(path.join(this.dir, cluster), { force: true });
  }

  owner(cluster: string): number | undefined {
    try {
      return JSON.parse(readFileSync(path.join(this.dir, cluster), 'utf8')).pid;
    } catch {
      return undefined;
    }
  }

  async deleteOrphans(): Promise<string[]> {
    const deleted: string[] = [];
    for (const cluster of await this.driver.list()) {
      const pid = this.owner(cluster);
      if (pid !== undefined && pid !== process.pid && alive(pid)) continue;
      if (this.keptUntil(cluster) !== undefined) continue;
      this.log(`deleting orphaned cluster ${cluster}`);
      try {
        await this.driver.delete(cluster);
        deleted.push(cluster);
      } catch (e) {
        this.log(`could not delete ${cluster}: ${(e as Error).message}`);
      }
      this.release(cluster);
    }
    for (const f of readdirSync(this.dir)) {
      const pid = this.owner(f);
      if ((pid === undefined || !alive(pid)) && this.keptUntil(f) === undefined) this.release(f);
    }
    return deleted;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function defaultStateDir(): string {
  if (process.env.KUBEDRILL_STATE_DIR) return process.env.KUBEDRILL_STATE_DIR;
  return process.getuid?.() === 0 ? '/var/lib/kubedrill' : path.join(homedir(), '.kubedrill');
}
