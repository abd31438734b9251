import { describe, expect, it } from 'vitest';
import { junitXml, problemsAfterFix, problemsBeforeFix, type ScenarioRun } from '../../cli/validate.js';
import type { GradeReport } from '../../graders/types.js';
import type { Scenario } from '../../server/scenarios/types.js';

const scenario = {
  id: 's',
  checks: [
    { id: 'a', description: 'a', points: 1, nodeReady: { node: 'worker' } },
    { id: 'b', description: 'b', points: 1, nodeReady: { node: 'worker' }, passesBeforeFix: 'a guard' },
  ],
} as unknown as Scenario;

function report(passed: Record<string, boolean>): GradeReport {
  const checks = Object.entries(passed).map(([id, p]) => ({ id, description: id, points: p ? 1 : 0, maxPoints: 1, passed: p, expected: 'x', actual: 'y' }));
  return { scenarioId: 's', score: 0, maxScore: 2, percent: 0, checks, gradedAt: '', durationMs: 0 };
}

describe('validate verdicts', () => {
  it('flags a check that passes before the fix unless it says why', () => {
    expect(problemsBeforeFix(scenario, report({ a: false, b: true }))).toEqual([]);
    expect(problemsBeforeFix(scenario, report({ a: true, b: true }))[0]).toMatch(/check "a" already passes before the fix/);
  });

  it('lists every check that still fails after the solution, with expected and found', () => {
    expect(problemsAfterFix(report({ a: true, b: true }))).toEqual([]);
    expect(problemsAfterFix(report({ a: false, b: true }))).toEqual(['check "a" fails after the reference solution: expected x, found y']);
  });

  it('writes JUnit with failures, and flaky passes as system-out', () => {
    const seconds = { total: 1, bringUp: 1, solve: 0, teardown: 0 };
    const runs: ScenarioRun[] = [
      { scenario: 'ok', run: 1, ok: true, problems: [], seconds },
      { scenario: 'bad', run: 1, ok: false, problems: ['error: <boom>'], seconds },
      { scenario: 'flaky', run: 1, ok: true, flaky: true, problems: ['attempt 1: slow'], seconds },
    ];
    const xml = junitXml('core', runs, []);
    expect(xml).toContain('tests="3" failures="1"');
    expect(xml).toContain('<failure message="error: &lt;boom&gt;">');
    expect(xml).toContain('FLAKY: passed on retry after: attempt 1: slow');
  });
});
