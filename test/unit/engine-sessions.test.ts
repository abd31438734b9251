/**
 * How many sessions the engine runs and keeps (scripted driver): a cap on
 * sessions with a cluster, answered 409 over HTTP, and ended sessions
 * dropped from memory after a while (the app forgets their tokens and
 * revealed hints with them).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createApp } from '../../server/http/app.js';
import { listenApp } from '../helpers/serve-app.js';
import { startSession, startTestServer } from './http-helpers.js';
import { testEngine, tinyScenario, until } from './engine-driver.js';

const FULL = '2 sessions are already running; end one first';

afterEach(() => vi.useRealTimers());

describe('Engine: session cap', () => {
  it('refuses a third session by default; ended and failed sessions do not count', async () => {
    const broken = { ...tinyScenario('broken'), cluster: { workers: 1, kubernetesVersion: 'v1.99' } }; // no node image: fails at once
    const { engine } = testEngine([tinyScenario(), broken]);
    expect(engine.maxSessions).toBe(2);
    const a = engine.startSession('tiny');
    engine.startSession('tiny');
    expect(() => engine.startSession('tiny')).toThrow(FULL);

    await engine.end(a.id);
    const failed = engine.startSession('broken');
    await until('failed', () => engine.getSession(failed.id).stage === 'failed');
    expect(engine.getSession(failed.id).error).toMatch(/v1\.99/);
    engine.startSession('tiny'); // the ended and the failed session hold no slot
    expect(() => engine.startSession('tiny')).toThrow(FULL);
    // Resetting the failed one would give it a cluster again: that needs a slot too.
    await expect(engine.reset(failed.id)).rejects.toThrow(FULL);
    expect(engine.getSession(failed.id).stage).toBe('failed');
    await engine.shutdown();
  });

  it('deletes the cluster of a bring-up that failed after the cluster was made, and reset builds a new one', async () => {
    const failing = { ...tinyScenario('failing-setup'), setup: [{ run: { node: 'worker' as const, script: 'exit 3' } }] };
    const { engine, driver } = testEngine([failing]);
    const origExec = driver.exec.bind(driver);
    let failSetup = true;
    driver.exec = async (node, argv, opts) =>
      failSetup && opts?.stdin?.includes('exit 3') ? { exitCode: 3, stdout: '', stderr: 'setup broke' } : origExec(node, argv, opts);
    const s = engine.startSession('failing-setup');
    await until('failed', () => engine.getSession(s.id).stage === 'failed');
    await until('failed cluster deleted', () => driver.deleted.includes(s.cluster));
    expect(driver.live.has(s.cluster)).toBe(false);
    failSetup = false;
    await engine.reset(s.id);
    await until('ready after reset', () => engine.getSession(s.id).stage === 'ready');
    expect(driver.live.has(s.cluster)).toBe(true);
    await engine.shutdown();
  });

  it('takes its cap from the options', async () => {
    const { engine } = testEngine(undefined, { maxSessions: 1 });
    engine.startSession('tiny');
    expect(() => engine.startSession('tiny')).toThrow('1 session is already running; end one first');
    await engine.shutdown();
  });

  it('answers 409 with the reason over HTTP', async () => {
    const { engine } = testEngine();
    const served = await listenApp(createApp(engine, { webDist: '/nonexistent-kubedrill-dist' }));
    const base = `http://127.0.0.1:${served.port}`;
    const start = () =>
      fetch(`${base}/api/sessions`, { method: 'POST', headers: { 'content-type': 'application/json', origin: base }, body: '{"scenarioId":"tiny"}' });
    try {
      expect((await start()).status).toBe(201);
      expect((await start()).status).toBe(201);
      const third = await start();
      expect(third.status).toBe(409);
      expect(await third.json()).toEqual({ error: 'conflict', message: FULL });
      expect(engine.listSessions()).toHaveLength(2);
    } finally {
      await served.close();
      await engine.shutdown();
    }
  });
});

describe('Engine: ended sessions are dropped from memory', () => {
  it('after the retention time', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const { engine } = testEngine(undefined, { endedRetentionMs: 60_000 });
    const { id } = engine.startSession('tiny');
    await engine.end(id);
    vi.setSystemTime(Date.now() + 59_000);
    expect(engine.listSessions().map((s) => s.id)).toEqual([id]);
    vi.setSystemTime(Date.now() + 2_000);
    expect(engine.listSessions()).toEqual([]);
    expect(() => engine.getSession(id)).toThrow(/unknown session/);
  });

  it('beyond maxEndedKept, oldest first; running sessions stay', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const { engine } = testEngine(undefined, { maxSessions: 5, maxEndedKept: 2 });
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const { id } = engine.startSession('tiny');
      await engine.end(id);
      ids.push(id);
      vi.setSystemTime(Date.now() + 1000);
    }
    const running = engine.startSession('tiny');
    expect(engine.listSessions().map((s) => s.id).sort()).toEqual([ids[1], ids[2], running.id].sort());
    await engine.shutdown();
  });
});

describe('HTTP: dropped sessions', () => {
  it('forgets owner tokens and revealed hints of sessions the engine no longer has', async () => {
    const ts = await startTestServer();
    try {
      const s = await startSession(ts);
      const hint = await fetch(`${ts.base}/api/sessions/${s.id}/hint`, { method: 'POST', headers: { cookie: s.cookie, origin: ts.origin } });
      expect(hint.status).toBe(200);
      // The engine drops the session (as after its retention time) ...
      const kept = ts.engine.sessions.get(s.id)!;
      ts.engine.sessions.delete(s.id);
      await fetch(`${ts.base}/api/sessions`);
      expect(ts.created.tokens.sessionIds()).not.toContain(s.id);
      // ... so nothing the app kept for it survives: were it ever served again, it would start clean.
      ts.engine.sessions.set(s.id, kept);
      const token = ts.created.tokens.issue(s.id);
      const r = await fetch(`${ts.base}/api/sessions/${s.id}`, { headers: { 'x-kubedrill-owner': token } });
      expect(((await r.json()) as { session: { hints: string[] } }).session.hints).toEqual([]);
    } finally {
      await ts.close();
    }
  });
});
