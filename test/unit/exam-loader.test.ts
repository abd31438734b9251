import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadPack } from '../../server/scenarios/loader.js';
import type { Scenario } from '../../server/scenarios/types.js';
import { footprint, loadExams, parseExam } from '../../server/exams/loader.js';
import { FIXTURE_EXAMS_DIR } from '../helpers/test-exams.js';

const root = path.resolve(import.meta.dirname, '../..');
let scenarios: Map<string, Scenario>;
beforeAll(() => {
  scenarios = new Map(loadPack(path.join(root, 'scenarios/core')).scenarios.map((s) => [s.id, s]));
});

const HEAD = 'id: t\ntitle: T\n';
function errs(text: string): string[] {
  return parseExam(text, 'exams/x.yaml', scenarios).errors.map((e) => e.message);
}

describe('exam loader', () => {
  it('loads the shipped exams with defaults filled in', () => {
    const { exams, errors } = loadExams(path.join(root, 'exams'), scenarios);
    expect(errors.map((e) => e.message)).toEqual([]);
    const sample = exams.find((e) => e.id === 'sample-3-tasks')!;
    expect(sample.clusters.map((c) => [c.name, c.workers])).toEqual([
      ['a', 1],
      ['b', 1],
    ]);
    expect(sample.tasks.map((t) => `${t.scenario}@${t.cluster}`)).toEqual(['kubelet-stopped@a', 'service-no-endpoints@b', 'default-storageclass-switch@b']);
    expect(sample.passPercent).toBe(66);
    expect(exams.map((e) => e.id)).not.toContain('test-timeout');
  });

  it('loads the test-only time-out exam from test/fixtures/exams', () => {
    const { exams, errors } = loadExams(FIXTURE_EXAMS_DIR, scenarios);
    expect(errors.map((e) => e.message)).toEqual([]);
    const short = exams.find((e) => e.id === 'test-timeout')!;
    expect(short.timeLimitMinutes).toBe(1.5);
    expect(short.tasks[0]!.weight).toBe(1);
  });

  it('defaults the time limit to 120 minutes and the pass mark to 66 %', () => {
    const r = parseExam(`${HEAD}clusters: [{name: a}]\ntasks: [{scenario: pvc-pending, cluster: a}]\n`, 'x.yaml', scenarios);
    expect(r.exam).toMatchObject({ timeLimitMinutes: 120, passPercent: 66 });
  });

  it('reports YAML syntax errors with file:line:column', () => {
    expect(errs('id: t\ntitle: [oops\n')[0]).toMatch(/^exams\/x\.yaml:3:1: YAML syntax error/);
  });

  it('reports schema errors with the line, column and field path', () => {
    const e = errs(`${HEAD}timeLimitMinutes: 0\nclusters: [{name: A}]\ntasks:\n  - scenario: pvc-pending\n    cluster: a\n    wieght: 2\n`);
    expect(e).toEqual(
      expect.arrayContaining([
        'exams/x.yaml:3:19: timeLimitMinutes: must be greater than 0 (got 0)',
        expect.stringMatching(/^exams\/x\.yaml:4:\d+: clusters\[0\]\.name: must match/),
        'exams/x.yaml:8:5: tasks[0].wieght: unknown field "wieght" (expected one of: scenario, cluster, weight)',
      ]),
    );
    expect(errs('id: t\n')).toContain('exams/x.yaml:1:1: missing required field "title"');
  });

  it('rejects unknown clusters and scenarios, and clusters without tasks', () => {
    const e = errs(`${HEAD}clusters: [{name: a}, {name: b}]\ntasks:\n  - {scenario: no-such-thing, cluster: a}\n  - {scenario: pvc-pending, cluster: c}\n`);
    expect(e).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/:5:\d+: tasks\[0\]\.scenario: unknown scenario "no-such-thing"/),
        expect.stringMatching(/:6:\d+: tasks\[1\]\.cluster: unknown cluster "c" \(the exam's clusters are: a, b\)/),
        expect.stringMatching(/clusters\[1\]\.name: cluster "b" has no task/),
      ]),
    );
  });

  it('rejects a cluster with fewer workers than a task needs', () => {
    const e = errs(`${HEAD}clusters: [{name: a, workers: 1}]\ntasks: [{scenario: drain-node, cluster: a}]\n`);
    expect(e).toEqual([expect.stringMatching(/tasks\[0\]\.scenario: scenario "drain-node" needs 2 worker\(s\) but cluster "a" has 1/)]);
    // Without an explicit count the cluster gets what its tasks need.
    const r = parseExam(`${HEAD}clusters: [{name: a}]\ntasks: [{scenario: drain-node, cluster: a}, {scenario: pvc-pending, cluster: a}]\n`, 'x.yaml', scenarios);
    expect(r.errors.map((x) => x.message)).toEqual([]);
    expect(r.exam!.clusters[0]!.workers).toBe(2);
  });

  it('rejects a disruptive task (node-level faults) that shares its cluster', () => {
    const e = errs(`${HEAD}clusters: [{name: a}]\ntasks:\n  - {scenario: kubelet-stopped, cluster: a}\n  - {scenario: service-no-endpoints, cluster: a}\n`);
    expect(e).toEqual([expect.stringMatching(/:5:\d+: tasks\[0\]\.cluster: scenario "kubelet-stopped" must have its cluster to itself \(its faults work on a node \(systemd\)\), but cluster "a" has 2 tasks/)]);
    expect(footprint(scenarios.get('coredns-scaled-zero')!).disruptive).toBe('its faults change kube-system');
  });

  it('rejects two tasks on one cluster that touch the same object, or the same scenario twice', () => {
    const e = errs(`${HEAD}clusters: [{name: a}]\ntasks:\n  - {scenario: pvc-pending, cluster: a}\n  - {scenario: pvc-pending, cluster: a}\n`);
    expect(e).toEqual([expect.stringMatching(/tasks\[1\]\.scenario: scenario "pvc-pending" appears twice on cluster "a"/)]);
    const fake = structuredClone(scenarios.get('default-storageclass-switch')!);
    fake.id = 'also-touches-store';
    fake.setup = [{ apply: { manifest: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, namespace: store}\n' } }];
    const withFake = new Map(scenarios).set(fake.id, fake);
    const r = parseExam(`${HEAD}clusters: [{name: a}]\ntasks:\n  - {scenario: service-no-endpoints, cluster: a}\n  - {scenario: also-touches-store, cluster: a}\n`, 'x.yaml', withFake);
    expect(r.errors.map((x) => x.message)).toEqual([expect.stringMatching(/collides with tasks\[0\] \("service-no-endpoints"\) on cluster "a": both touch ns\/store/)]);
  });

  it('reports duplicate exam ids across files', () => {
    const { errors } = loadExams(path.join(root, 'test/fixtures/exams-dup'), scenarios);
    expect(errors.map((e) => e.message)).toEqual([expect.stringMatching(/b\.yaml: id: duplicate exam id "dup" \(also in .*a\.yaml\)/)]);
  });
});
