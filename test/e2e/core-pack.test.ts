/**
 * Our own scenario pack through `validate` on real clusters: every
 * scenario scores 0 after its faults (except checks marked passesBeforeFix)
 * and 100 % after its reference solution and after each of its alternative
 * solutions (own fresh cluster each). KUBEDRILL_VALIDATE_RUNS=2 adds the
 * flake check; KUBEDRILL_VALIDATE_CONCURRENCY sets clusters at once.
 */
import { describe, expect, it } from 'vitest';
import { runName, validatePack } from '../../cli/validate.js';
import { corePack, realDriver, say } from './support.js';

describe('core scenario pack', () => {
  it('validates every scenario on fresh real clusters', async () => {
    const { driver, nodeImage } = await realDriver();
    const runs = Number(process.env.KUBEDRILL_VALIDATE_RUNS ?? 1);
    const concurrency = Number(process.env.KUBEDRILL_VALIDATE_CONCURRENCY ?? 3);
    const only = process.env.KUBEDRILL_VALIDATE_SCENARIOS?.split(',').filter(Boolean);
    // One retry on a fresh cluster absorbs a rare timing flake on this 2-core host; a pass on retry is
    // printed as FLAKY (and kept in the JUnit file) so it gets fixed, and two failures still fail here.
    const retries = Number(process.env.KUBEDRILL_VALIDATE_RETRIES ?? 1);
    const result = await validatePack(corePack, { driver, nodeImage, runs, concurrency, retries, scenarios: only, out: say, junit: 'test-results/validate-core.xml' });
    expect(result.loadErrors).toEqual([]);
    expect(result.runs.length).toBeGreaterThanOrEqual(only?.length ?? 20);
    const failed = result.runs.filter((r) => !r.ok).map((r) => `${runName(r)}: ${r.problems.join('; ')}`);
    for (const r of result.runs.filter((x) => x.flaky)) say(`FLAKY ${runName(r)}: ${r.problems.join('; ')}`);
    expect(failed).toEqual([]);
  }, 85 * 60_000);
});
