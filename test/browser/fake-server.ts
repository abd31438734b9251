/** The real HTTP layer + built web app, backed by the fake engine (for browser tests and UI work). */
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createApp } from '../../server/http/app.js';
import { FakeEngine, type FakeEngineOptions } from '../fake-engine.js';
import { serveFakeEngine, type ServedFakeEngine } from '../helpers/serve-app.js';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const webDir = path.join(repoRoot, 'web');
const distIndex = path.join(webDir, 'dist', 'index.html');

function newestMtime(p: string): number {
  const st = statSync(p);
  if (!st.isDirectory()) return st.mtimeMs;
  return Math.max(st.mtimeMs, ...readdirSync(p).map((f) => newestMtime(path.join(p, f))));
}

/** Builds web/dist with vite when it is missing or older than web/src. */
export async function ensureWebBuilt(log: (l: string) => void = () => {}): Promise<void> {
  const srcTime = Math.max(newestMtime(path.join(webDir, 'src')), newestMtime(path.join(webDir, 'index.html')), newestMtime(path.join(webDir, 'vite.config.ts')));
  if (existsSync(distIndex) && statSync(distIndex).mtimeMs >= srcTime) return;
  log('building web/dist with vite ...');
  const { build } = await import('vite');
  await build({ configFile: path.join(webDir, 'vite.config.ts'), logLevel: 'warn' });
}

export interface FakeServer extends ServedFakeEngine {
  url: string;
}

export async function startFakeServer(o: { port?: number; host?: string; engine?: FakeEngineOptions; log?: (l: string) => void } = {}): Promise<FakeServer> {
  const engine = new FakeEngine(o.engine ?? { stepMs: 250 });
  const created = createApp(engine, { log: o.log, allowedOrigins: ['http://localhost:5173', 'http://127.0.0.1:5173'] });
  const host = o.host ?? '127.0.0.1';
  const served = await serveFakeEngine(engine, created, o.port ?? 0, host);
  return { ...served, url: `http://${host}:${served.port}/` };
}
