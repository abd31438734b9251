/**
 * The walking skeleton's promise, on real kind clusters, through the same
 * engine the server uses: each first-slice scenario scores below 100 %
 * after its faults and exactly 100 % after its reference solution.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type Engine } from '../../server/engine/engine.js';
import type { SessionInfo } from '../../server/engine/types.js';
import { corePack, realDriver, say } from './support.js';

let engine: Engine;

beforeAll(async () => {
  const { driver, nodeImage } = await realDriver();
  // Three learners at once: above the server's default cap of two sessions.
  engine = await createEngine({ packs: [corePack], driver, nodeImage, log: say, maxSessions: 3 });
});

afterAll(async () => {
  await engine?.shutdown();
});

async function waitReady(id: string, timeoutMs = 10 * 60_000): Promise<SessionInfo> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = engine.getSession(id);
    if (s.stage === 'ready') return s;
    if (s.stage === 'failed') throw new Error(`session failed: ${s.error}`);
    if (Date.now() > deadline) throw new Error(`session not ready after ${timeoutMs / 1000}s (stage ${s.stage})`);
    await new Promise((r) => setTimeout(r, 2000));
  }
}

// The three run at once, each on its own cluster, as three learners would.
describe.concurrent.each(['kubelet-stopped', 'kube-proxy-deleted', 'taint-pending'])('scenario %s on a real cluster', (scenarioId) => {
  it('scores below 100 % when broken and 100 % after the reference solution', async () => {
    const t0 = Date.now();
    const started = engine.startSession(scenarioId);
    const ready = await waitReady(started.id);
    say(`${scenarioId}: ready in ${((Date.now() - t0) / 1000).toFixed(0)}s; timings ${JSON.stringify(ready.timings)}`);
    expect(ready.nodes.length).toBe(engine.scenario(scenarioId).cluster.workers + 1);

    const t1 = Date.now();
    const before = await engine.check(started.id);
    say(`${scenarioId}: broken grade ${before.score}/${before.maxScore} in ${((Date.now() - t1) / 1000).toFixed(1)}s`);
    expect(before.percent).toBeLessThan(100);
    for (const c of before.checks.filter((c) => !c.passed)) {
      // Every failing check tells the learner what was expected and found.
      expect(c.expected, `${c.id} expected`).toBeTruthy();
      expect(c.actual, `${c.id} actual`).toBeTruthy();
    }

    // The reference solution, run through the engine's own session context.
    await engine.applyReferenceSolution(started.id);
    let after = await engine.check(started.id);
    for (let i = 0; i < 24 && after.percent < 100; i++) {
      await new Promise((r) => setTimeout(r, 5000));
      after = await engine.check(started.id);
    }
    say(`${scenarioId}: solved grade ${after.score}/${after.maxScore}`);
    expect(after.checks.filter((c) => !c.passed)).toEqual([]);
    expect(after.percent).toBe(100);

    await engine.end(started.id);
    expect(engine.getSession(started.id).stage).toBe('ended');
  });
});
