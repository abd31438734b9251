/**
 * The real HTTP layer + built web app with the fake session engine AND the
 * real exam service on a fake cluster layer (test/fake-exam-ops.ts), a real
 * progress database in a temp folder, the shipped exams plus the test-only
 * ones in test/fixtures/exams (`examDirs` to choose), and the core
 * scenarios. restart() stops everything and starts it again on the same
 * port with the same database (server-restart tests).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createApp, type CreatedApp } from '../../server/http/app.js';
import { examsExtension } from '../../server/http/exams.js';
import { progressExtension } from '../../server/http/progress.js';
import { ExamService } from '../../server/exams/service.js';
import { ProgressStore } from '../../server/progress/store.js';
import { withProgress } from '../../server/progress/with-progress.js';
import { loadPack } from '../../server/scenarios/loader.js';
import { FakeEngine, FAKE_SCENARIOS } from '../fake-engine.js';
import { fakeExamOps, type FakeExamOps } from '../fake-exam-ops.js';
import { listenApp } from '../helpers/serve-app.js';
import { loadTestExams, TEST_EXAM_DIRS } from '../helpers/test-exams.js';
import { repoRoot } from './fake-server.js';

export interface FakeExamServer {
  url: string;
  base: string;
  port: number;
  store: ProgressStore;
  exams: ExamService;
  ops: FakeExamOps;
  engine: FakeEngine;
  created: CreatedApp;
  dbFile: string;
  restart(): Promise<void>;
  close(): Promise<void>;
}

export async function startFakeExamServer(o: { port?: number; stepMs?: number; engineStepMs?: number; log?: (l: string) => void; webDist?: string; examDirs?: string[] } = {}): Promise<FakeExamServer> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kd-exam-srv-'));
  const dbFile = path.join(dir, 'kubedrill.db');
  const scenarios = new Map(loadPack(path.join(repoRoot, 'scenarios/core')).scenarios.map((s) => [s.id, s]));
  const defs = loadTestExams(scenarios, o.examDirs ?? TEST_EXAM_DIRS);
  const ops = fakeExamOps({ stepMs: o.stepMs ?? 150 });
  let port = o.port ?? 0;

  const boot = async () => {
    const store = new ProgressStore(dbFile);
    const engine = new FakeEngine({ stepMs: o.engineStepMs ?? 100 });
    const exams = new ExamService({ ops, store, scenarios, exams: defs, log: o.log });
    await exams.resume();
    const catalog = () => [...scenarios.values(), ...FAKE_SCENARIOS].map((s) => ({ id: s.id, domain: s.domain, title: s.title }));
    const created = createApp(withProgress(engine, store), {
      log: o.log,
      webDist: o.webDist,
      allowedOrigins: ['http://localhost:5173', 'http://127.0.0.1:5173'],
      extensions: [examsExtension(exams), progressExtension(store, catalog)],
    });
    const listening = await listenApp(created, port);
    port = listening.port;
    return { store, engine, exams, created, listening };
  };
  let cur = await boot();

  const stop = async () => {
    await cur.listening.close();
    await cur.exams.shutdown();
    await cur.engine.shutdown();
    cur.store.close();
  };

  const api: FakeExamServer = {
    get url() {
      return `http://127.0.0.1:${port}/`;
    },
    get base() {
      return `http://127.0.0.1:${port}`;
    },
    get port() {
      return port;
    },
    get store() {
      return cur.store;
    },
    get exams() {
      return cur.exams;
    },
    get engine() {
      return cur.engine;
    },
    get created() {
      return cur.created;
    },
    ops,
    dbFile,
    async restart() {
      await stop();
      cur = await boot();
    },
    async close() {
      await stop();
      for (const c of [...ops.clusters]) await ops.delete(c);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return api;
}
