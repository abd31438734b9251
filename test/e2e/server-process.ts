/**
 * Starts the real server (server/main.ts, the real engine, real kind) as a
 * child process, the way `./kubedrill up` does, and waits for its URL.
 */
import { execa, type ResultPromise } from 'execa';
import { repoRoot } from './support.js';

export interface RunningServer {
  url: string;
  stop(): Promise<void>;
}

export async function startRealServer(port: number, log: (l: string) => void): Promise<RunningServer> {
  // One node process (tsx as a loader), so signals reach main.ts directly;
  // through npx they were lost and the server outlived the test.
  const proc: ResultPromise = execa(process.execPath, ['--import', 'tsx', 'server/main.ts', '--port', String(port)], {
    cwd: repoRoot,
    reject: false,
    all: true,
    env: { KUBEDRILL_VERBOSE: '' },
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('server did not print its URL within 120 s')), 120_000);
    proc.all?.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n')) {
        if (!line.trim()) continue;
        log(`[server] ${line}`);
        const m = /running at (http:\/\/\S+)/.exec(line);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      }
    });
    void proc.then((r) => reject(new Error(`server exited early (${r.exitCode}): ${String(r.all).slice(-500)}`)));
  });
  return {
    url,
    async stop() {
      proc.kill('SIGTERM');
      const killer = setTimeout(() => proc.kill('SIGKILL'), 90_000);
      await proc;
      clearTimeout(killer);
    },
  };
}
