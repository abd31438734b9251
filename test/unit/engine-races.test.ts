/**
 * end() racing the engine's background work (scripted driver): an ended
 * session stays ended, its cluster is deleted and its registry claim
 * released, whatever was in flight (a Check, a reset, the first bring-up).
 */
import { describe, expect, it } from 'vitest';
import { testEngine, until } from './engine-driver.js';

async function readySession() {
  const t = testEngine();
  const { id, cluster } = t.engine.startSession('tiny');
  await until('ready', () => t.engine.getSession(id).stage === 'ready');
  return { ...t, id, cluster };
}

describe('Engine: end() during other work', () => {
  it('a Check that finishes after end() leaves the session ended, not ready', async () => {
    const { engine, driver, id } = await readySession();
    const grading = driver.hold('exec');
    const checking = engine.check(id);
    await grading.reached;
    await engine.end(id);
    expect(engine.getSession(id).stage).toBe('ended');
    grading.release();
    await expect(checking).rejects.toThrow(/ended while it was being graded/);
    expect(engine.getSession(id).stage).toBe('ended');
    expect(engine.history(id).filter((e) => e.type === 'grade')).toEqual([]);
  });

  it('end() while reset deletes the old cluster: stays ended, no new cluster, claim released', async () => {
    const { engine, driver, registry, id, cluster } = await readySession();
    const deleting = driver.hold('delete');
    const resetting = engine.reset(id);
    await deleting.reached;
    const ending = engine.end(id);
    deleting.release();
    await Promise.all([resetting, ending]);
    const info = engine.getSession(id);
    expect(info.stage).toBe('ended');
    expect(info.error).toBeUndefined();
    expect(engine.history(id).some((e) => e.stage === 'failed' || e.type === 'error')).toBe(false);
    expect(driver.created).toEqual([cluster]); // reset did not provision again
    expect(driver.live.size).toBe(0);
    expect(registry.owner(cluster)).toBeUndefined();
  });

  it('end() while reset provisions the new cluster: stays ended, cluster deleted, claim released', async () => {
    const { engine, driver, registry, id, cluster } = await readySession();
    const creating = driver.hold('create');
    const resetting = engine.reset(id);
    await creating.reached;
    await Promise.all([resetting, engine.end(id)]);
    const info = engine.getSession(id);
    expect(info.stage).toBe('ended');
    expect(info.error).toBeUndefined();
    expect(engine.history(id).some((e) => e.stage === 'failed' || e.type === 'error')).toBe(false);
    expect(driver.live.size).toBe(0);
    expect(registry.owner(cluster)).toBeUndefined();
  });

  it('end() during the first bring-up is a quiet cancel, not a failure', async () => {
    const { engine, driver, registry } = testEngine();
    const creating = driver.hold('create');
    const { id, cluster } = engine.startSession('tiny');
    await creating.reached;
    await engine.end(id);
    const info = engine.getSession(id);
    expect(info.stage).toBe('ended');
    expect(info.error).toBeUndefined();
    expect(engine.history(id).filter((e) => e.type === 'stage').map((e) => e.stage)).toEqual(['provisioning', 'ending', 'ended']);
    expect(driver.live.size).toBe(0);
    expect(registry.owner(cluster)).toBeUndefined();
  });

  it('a bring-up that completes after end() began does not report ready', async () => {
    const { engine, driver } = testEngine();
    const health = driver.hold('exec'); // the first kubectl of the health wait
    const { id } = engine.startSession('tiny');
    await health.reached;
    const ending = engine.end(id);
    health.release();
    await ending;
    expect(engine.history(id).some((e) => e.stage === 'ready' || e.stage === 'failed')).toBe(false);
    expect(engine.getSession(id).stage).toBe('ended');
  });
});
