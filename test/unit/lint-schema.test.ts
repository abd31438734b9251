import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv } from 'ajv';
import { load } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { lintPack } from '../../cli/lint.js';
import { grade } from '../../graders/index.js';
import { captureIdentity } from '../../graders/guards.js';
import { SCHEMA_PATH } from '../../server/scenarios/schema.js';
import type { Scenario } from '../../server/scenarios/types.js';
import { createRecordedView } from '../helpers/recorded-view.js';

const root = path.resolve(import.meta.dirname, '../..');

describe('scenario.schema.json', () => {
  const schema = JSON.parse(readFileSync(SCHEMA_PATH, 'utf8'));
  const validate = new Ajv({ strict: true, strictRequired: false, allowUnionTypes: true, allErrors: true }).compile(schema);
  it('is a strict draft-07 schema the YAML language server can use', () => {
    expect(schema.$schema).toBe('http://json-schema.org/draft-07/schema#');
    expect(SCHEMA_PATH).toBe(path.join(root, 'scenarios/scenario.schema.json'));
  });
  it('accepts the good fixtures and rejects a wrong type', () => {
    const good = load(readFileSync(path.join(root, 'test/fixtures/good/everything.yaml'), 'utf8'));
    expect(validate(good), JSON.stringify(validate.errors)).toBe(true);
    const bad = load(readFileSync(path.join(root, 'test/fixtures/broken/wrong-type.yaml'), 'utf8'));
    expect(validate(bad)).toBe(false);
  });
});

describe('lintPack', () => {
  it('exit 0 and a summary for a clean pack', () => {
    const out = lintPack(path.join(root, 'test/fixtures/good'));
    expect(out.exitCode).toBe(0);
    expect(out.lines).toEqual([expect.stringMatching(/^pack "fixture-good" \(.*\): 2 scenario\(s\) OK$/)]);
  });
  it('exit 1 with one located line per problem', () => {
    const out = lintPack(path.join(root, 'test/fixtures/broken'));
    expect(out.exitCode).toBe(1);
    expect(out.lines.at(-1)).toMatch(/2 scenario\(s\) OK, 18 problem\(s\) in 16 file\(s\)$/);
    expect(out.lines.slice(0, -1).every((l) => /^test\/fixtures\/broken\/[\w-]+\.yaml:\d+(:\d+)?: /.test(l))).toBe(true);
    expect(out.output.endsWith('\n')).toBe(true);
  });
});

describe('grade with guards', () => {
  it('zeroes the score when the cluster was replaced', async () => {
    const node = { kind: 'Node', metadata: { name: 'kd-ab12cd-worker', uid: 'u1' }, status: { conditions: [{ type: 'Ready', status: 'True' }] } };
    const ca = (c: string) => [{ node: 'control-plane', match: /sha256sum/, reply: { stdout: `${c.repeat(64)}  /etc/kubernetes/pki/ca.crt\n` } }];
    const scenario = { id: 's', checks: [{ id: 'r', description: 'ready', points: 2, nodeReady: { node: 'worker' } }] } as unknown as Scenario;
    const identity = await captureIdentity(createRecordedView({ objects: [node], scripts: ca('a') }));
    const same = await grade(scenario, createRecordedView({ objects: [node], scripts: ca('a') }), { identity });
    expect(same).toMatchObject({ score: 2, maxScore: 2, percent: 100 });
    const swapped = await grade(scenario, createRecordedView({ objects: [node], scripts: ca('b') }), { identity });
    expect(swapped).toMatchObject({ score: 0, maxScore: 2, percent: 0 });
    expect(swapped.checks.map((c) => c.id)).toEqual(['r', 'guard-cluster-identity']);
  });
});
