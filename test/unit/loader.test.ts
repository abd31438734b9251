import path from 'node:path';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadPack, loadScenarioFile, nodeAliases, parseScenario, ScenarioLoadError } from '../../server/scenarios/loader.js';

const fixtures = path.resolve(import.meta.dirname, '../fixtures');
const broken = path.join(fixtures, 'broken');

function errorsOf(file: string): string[] {
  try {
    loadScenarioFile(path.join(broken, file));
  } catch (e) {
    expect(e).toBeInstanceOf(ScenarioLoadError);
    return (e as ScenarioLoadError).errors.map((x) => x.message);
  }
  throw new Error(`${file} loaded without errors`);
}

describe('loadScenarioFile on broken files', () => {
  it.each([
    ['syntax-error.yaml', /syntax-error\.yaml:6:5: YAML syntax error: /],
    ['wrong-type.yaml', /wrong-type\.yaml:13:13: checks\[0\]\.points: must be a number \(got "two"\)$/],
    ['unknown-check-kind.yaml', /unknown-check-kind\.yaml:14:5: checks\[0\]\.nodeReadyy: unknown check kind or field "nodeReadyy"/],
    ['missing-field.yaml', /missing-field\.yaml:1:1: missing required field "difficulty"$/],
    ['duplicate-check-id.yaml', /duplicate-check-id\.yaml:15:9: checks\[1\]\.id: duplicate check id "ready" \(also checks\[0\]\)$/],
    ['unknown-alias.yaml', /unknown-alias\.yaml:14:23: checks\[0\]\.nodeReady\.node: unknown node alias "worker2": with cluster\.workers=1 the nodes are control-plane, worker$/],
    ['bad-placeholder.yaml', /bad-placeholder\.yaml:7:7: task: placeholder \{\{nodes\.worker3\}\}: unknown node alias "worker3"/],
    ['zero-points.yaml', /zero-points\.yaml:13:13: checks\[0\]\.points: must be greater than 0 \(got 0\)$/],
    ['no-checks.yaml', /no-checks\.yaml:10:9: checks: must have at least 1 item/],
    ['two-step-kinds.yaml', /two-step-kinds\.yaml:9:5: solution\[0\]: a step needs exactly one step kind/],
    ['bad-enum.yaml', /bad-enum\.yaml:3:9: domain: must be one of: cluster-architecture, .* \(got "networking"\)$/],
    ['bad-regex.yaml', /bad-regex\.yaml:18:\d+: checks\[1\]\.command\.stdoutMatches: invalid regular expression/],
    ['bad-jmespath.yaml', /bad-jmespath\.yaml:18:\d+: checks\[1\]\.object\.expr: invalid JMESPath expression/],
    ['bad-alternative.yaml', /bad-alternative\.yaml:14:11: alternativeSolutions\[1\]\.name: duplicate alternative solution "restart" \(also alternativeSolutions\[0\]\)$/],
    ['bad-alternative.yaml', /bad-alternative\.yaml:16:\d+: alternativeSolutions\[1\]\.steps\[0\]\.systemd\.node: unknown node alias "worker2"/],
    ['typo-field.yaml', /typo-field\.yaml:6:1: summry: unknown field "summry" \(expected one of: id, title/],
  ])('%s', (file, pattern) => {
    const messages = errorsOf(file);
    expect(messages.some((m) => pattern.test(m)), messages.join('\n')).toBe(true);
  });

  it('reports no duplicate or noise errors for a single unknown check kind', () => {
    expect(errorsOf('unknown-check-kind.yaml')).toHaveLength(1);
  });

  it('names a missing file', () => {
    expect(() => loadScenarioFile(path.join(broken, 'nope.yaml'))).toThrow(/nope\.yaml: cannot read file/);
  });
});

describe('loadPack', () => {
  it('keeps the good scenarios of a pack with bad files and flags duplicate scenario ids', () => {
    const { pack, scenarios, errors } = loadPack(broken);
    expect(pack.id).toBe('broken');
    expect(scenarios.map((s) => s.id).sort()).toEqual(['dup-scenario-id', 'good-one']);
    expect(errors.some((e) => /dup-scenario-id-b\.yaml:1:5: id: duplicate scenario id "dup-scenario-id" \(also in .*dup-scenario-id-a\.yaml\)/.test(e.message))).toBe(true);
    const errorFiles = new Set(errors.map((e) => path.basename(e.file)));
    expect(errorFiles.has('good-one.yaml')).toBe(false);
    expect(errorFiles.size).toBe(16);
  });

  it('loads a good pack with pack.yaml, defaults and source/pack filled', () => {
    const { pack, scenarios, errors } = loadPack(path.join(fixtures, 'good'));
    expect(errors.map((e) => e.message)).toEqual([]);
    expect(pack).toMatchObject({ id: 'fixture-good', title: 'Good fixtures' });
    const kubelet = scenarios.find((s) => s.id === 'kubelet-stopped-worker')!;
    expect(kubelet.cluster.workers).toBe(1);
    expect(kubelet.setup).toEqual([]);
    expect(kubelet.pack).toBe('fixture-good');
    expect(kubelet.source).toBe(path.join(fixtures, 'good', 'kubelet-stopped-worker.yaml'));
    const everything = scenarios.find((s) => s.id === 'everything')!;
    expect(everything.cluster.workers).toBe(2);
    expect(everything.checks).toHaveLength(8);
  });

  it('fills cluster.workers inside an explicit cluster map', () => {
    const text = readFileSync(path.join(broken, 'good-one.yaml'), 'utf8') + 'cluster: {images: [nginx]}\n';
    const { scenario, errors } = parseScenario(text, '/tmp/x.yaml');
    expect(errors).toEqual([]);
    expect(scenario!.cluster).toEqual({ images: ['nginx'], workers: 1 });
    expect(scenario!.hints).toEqual([]);
    expect(scenario!.faults).toEqual([]);
  });

  it('reports a missing pack folder', () => {
    const { errors } = loadPack(path.join(fixtures, 'does-not-exist'));
    expect(errors[0]!.message).toMatch(/cannot read pack folder/);
  });
});

describe('node aliases', () => {
  it('follows kind container suffixes', () => {
    expect(nodeAliases(0)).toEqual(['control-plane']);
    expect(nodeAliases(3)).toEqual(['control-plane', 'worker', 'worker2', 'worker3']);
  });
  it('rejects worker2 in a wait step when workers=1', () => {
    const text = readFileSync(path.join(broken, 'good-one.yaml'), 'utf8').replace(
      'solution:\n',
      'faults:\n  - wait: {for: {nodeReady: {node: worker2}}}\nsolution:\n',
    );
    const { errors } = parseScenario(text, '/tmp/w.yaml');
    expect(errors.map((e) => e.message)).toEqual([
      expect.stringMatching(/^\/tmp\/w\.yaml:9:\d+: faults\[0\]\.wait\.for\.nodeReady\.node: unknown node alias "worker2"/),
    ]);
  });
});
