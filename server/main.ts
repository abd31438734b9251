/**
 * Kubedrill server entry point.
 *
 *   tsx server/main.ts [--host 127.0.0.1] [--port 4280] [--packs dir ...]
 *                      [--allow-origin URL ...] [--allow-host NAME ...]
 *                      [--max-sessions 2]
 *
 * Binds 127.0.0.1 unless told otherwise (--host or KUBEDRILL_HOST): the
 * terminals give root shells in the cluster nodes.
 */
import { createServer } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, InvalidArgumentError } from 'commander';
import { collect, positiveInt } from '../cli/args.js';
import { createApp } from './http/app.js';
import { DEFAULT_MAX_SESSIONS, createEngine } from './engine/engine.js';
import { lifecycleOps } from './exams/cluster-ops.js';
import { DEFAULT_EXAMS_DIR, loadExams } from './exams/loader.js';
import { ExamService } from './exams/service.js';
import { examsExtension } from './http/exams.js';
import { progressExtension } from './http/progress.js';
import { ProgressStore, defaultDbPath } from './progress/store.js';
import { withProgress } from './progress/with-progress.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function parsePort(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('port must be an integer 0..65535');
  return n;
}


export async function main(argv = process.argv): Promise<void> {
  const program = new Command()
    .name('kubedrill')
    .description('CKA exam-practice simulator on real kind clusters')
    .option('--host <addr>', 'address to bind (env KUBEDRILL_HOST)', process.env.KUBEDRILL_HOST || '127.0.0.1')
    .option('--port <n>', 'port to listen on (env KUBEDRILL_PORT)', parsePort, process.env.KUBEDRILL_PORT ? parsePort(process.env.KUBEDRILL_PORT) : 4280)
    .option('--packs <dir...>', 'scenario pack folders', [path.join(repoRoot, 'scenarios', 'core')])
    .option('--allow-origin <url>', 'extra origin allowed to use the API and WebSockets (repeatable)', collect, [])
    .option('--allow-host <name>', 'extra Host name the server answers to (repeatable)', collect, [])
    .option('--web-dist <dir>', 'built web app folder', path.join(repoRoot, 'web', 'dist'))
    .option('--exams <dir>', 'mock exam folder', DEFAULT_EXAMS_DIR)
    .option('--db <file>', 'progress database (env KUBEDRILL_DB; default $KUBEDRILL_STATE_DIR/kubedrill.db)')
    .option(
      '--max-sessions <n>',
      'training sessions (kind clusters) running at once (env KUBEDRILL_MAX_SESSIONS)',
      positiveInt,
      process.env.KUBEDRILL_MAX_SESSIONS ? positiveInt(process.env.KUBEDRILL_MAX_SESSIONS) : DEFAULT_MAX_SESSIONS,
    )
    .parse(argv);
  const o = program.opts<{ host: string; port: number; packs: string[]; allowOrigin: string[]; allowHost: string[]; webDist: string; exams: string; db?: string; maxSessions: number }>();

  const log = (l: string) => process.stderr.write(`[kubedrill] ${l}\n`);
  const packs = o.packs.map((p) => path.resolve(p));

  const store = new ProgressStore(o.db ? path.resolve(o.db) : defaultDbPath());
  log(`progress database ${store.file}`);
  const closed = store.closeAbandonedTrainingAttempts();
  if (closed) log(`closed ${closed} training attempt(s) left open by the previous run`);
  // Orphan cleanup keeps the clusters of running exams (registry keepUntil).
  const realEngine = await createEngine({ packs, log, maxSessions: o.maxSessions });
  const engine = withProgress(realEngine, store, log);
  const loadedExams = loadExams(o.exams, realEngine.scenarios);
  for (const err of loadedExams.errors) log(`exam error: ${err.message}`);
  log(`exams: ${loadedExams.exams.map((e) => e.id).join(', ') || '(none)'}`);
  const exams = new ExamService({
    ops: lifecycleOps(realEngine.driver, realEngine.nodeImage),
    store,
    scenarios: realEngine.scenarios,
    exams: loadedExams.exams,
    registry: realEngine.registry,
    log,
  });
  const resumed = await exams.resume();
  if (resumed.length) log(`resumed exam run(s) ${resumed.join(', ')}`);
  const catalog = () => realEngine.listScenarios().map((s) => ({ id: s.id, domain: s.domain, title: s.title }));

  const allowedHosts = [...o.allowHost];
  if (o.host !== '127.0.0.1' && o.host !== 'localhost' && o.host !== '::1' && o.host !== '0.0.0.0' && o.host !== '::') allowedHosts.push(o.host);
  if (o.host === '0.0.0.0' || o.host === '::')
    log('WARNING: listening on all interfaces; anyone who can reach this port and knows a session token gets root shells in its nodes');

  const { app, attachWebSockets, close } = createApp(engine, {
    log,
    allowedOrigins: o.allowOrigin,
    allowedHosts,
    webDist: o.webDist,
    extensions: [examsExtension(exams), progressExtension(store, catalog)],
  });
  const server = createServer(app);
  attachWebSockets(server);

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : o.port;
  const shownHost = o.host === '0.0.0.0' || o.host === '::' ? '127.0.0.1' : o.host.includes(':') ? `[${o.host}]` : o.host;
  process.stdout.write(`Kubedrill is running at http://${shownHost}:${port}/\n`);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) {
      log(`${signal} again: exiting now`);
      process.exit(130);
    }
    stopping = true;
    log(`${signal}: shutting down (deleting session clusters; a running exam keeps its clusters and resumes at the next start) ...`);
    close();
    server.close();
    server.closeAllConnections();
    try {
      await exams.shutdown();
      // End sessions through the progress decorator so their attempts are closed.
      await Promise.all(engine.listSessions().map((s) => engine.end(s.id).catch(() => {})));
      await realEngine.shutdown();
      store.close();
      log('bye');
      process.exit(0);
    } catch (e) {
      log(`shutdown failed: ${(e as Error).message}`);
      process.exit(1);
    }
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e: unknown) => {
    process.stderr.write(`kubedrill: ${(e as Error).message}\n`);
    process.exit(1);
  });
}
