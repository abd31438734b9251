/**
 * withProgress(engine, store): the engine, unchanged, with every training
 * attempt recorded in the progress store: start, each Check with its
 * per-check results, hints revealed, solution viewed, end and time spent.
 * A store failure is logged and never breaks the learner's session.
 */
import type { EngineApi } from '../engine/types.js';
import type { ProgressStore } from './store.js';

export function withProgress<E extends EngineApi>(engine: E, store: ProgressStore, log: (l: string) => void = () => {}): E {
  const attempts = new Map<string, number>();
  const safe = <T>(what: string, fn: () => T): T | undefined => {
    try {
      return fn();
    } catch (e) {
      log(`progress store: ${what} failed: ${(e as Error).message}`);
      return undefined;
    }
  };
  const attemptOf = (sessionId: string): number | undefined => attempts.get(sessionId) ?? safe('lookup', () => store.attemptForSession(sessionId));

  const overrides: Partial<EngineApi> = {
    startSession(scenarioId) {
      const info = engine.startSession(scenarioId);
      const domain = engine.listScenarios().find((s) => s.id === scenarioId)?.domain;
      const id = safe('start attempt', () => store.startAttempt({ mode: 'training', scenarioId, domain, sessionId: info.id, startedAt: info.createdAt }));
      if (id !== undefined) attempts.set(info.id, id);
      return info;
    },
    async check(sessionId) {
      const report = await engine.check(sessionId);
      const id = attemptOf(sessionId);
      if (id !== undefined) safe('record grade', () => store.recordGrade(id, report));
      return report;
    },
    revealHint(sessionId) {
      const hint = engine.revealHint(sessionId);
      const id = attemptOf(sessionId);
      if (id !== undefined) safe('record hint', () => store.recordHints(id, hint.index + 1));
      return hint;
    },
    viewSolution(sessionId) {
      const sol = engine.viewSolution(sessionId);
      const id = attemptOf(sessionId);
      if (id !== undefined) safe('record solution', () => store.recordSolutionViewed(id));
      return sol;
    },
    async end(sessionId) {
      let before: ReturnType<EngineApi['getSession']> | undefined;
      try {
        before = engine.getSession(sessionId);
      } catch {
        /* unknown: the engine throws below */
      }
      await engine.end(sessionId);
      const id = attemptOf(sessionId);
      if (id === undefined || !before) return;
      attempts.delete(sessionId);
      if (!before.readyAt) {
        safe('drop attempt', () => store.deleteAttempt(id));
        return;
      }
      const ready = Date.parse(before.readyAt);
      safe('end attempt', () => store.endAttempt(id, { secondsSpent: Math.max(0, Math.round((Date.now() - ready) / 1000)) }));
      const workers = engine.listScenarios().find((s) => s.id === before!.scenarioId)?.workers ?? 1;
      safe('record timing', () => store.recordProvisionTiming((ready - Date.parse(before!.createdAt)) / 1000, workers));
    },
  };

  return new Proxy(engine, {
    get(target, prop, receiver) {
      if (Object.prototype.hasOwnProperty.call(overrides, prop)) return overrides[prop as keyof EngineApi];
      const v = Reflect.get(target, prop, receiver);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}
