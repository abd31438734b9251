import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { grade, runCheck } from '../../graders/index.js';
import { findMismatch } from '../../graders/util.js';
import { parseFileState } from '../../graders/checks/file.js';
import type { Check, Scenario } from '../../server/scenarios/types.js';
import { createRecordedView, type RecordedCluster } from '../helpers/recorded-view.js';

const dir = path.resolve(import.meta.dirname, '../fixtures/cluster');
const json = (name: string) => JSON.parse(readFileSync(path.join(dir, name), 'utf8'));
const nodes = json('nodes.json').items as unknown[];
const workloads = json('workloads.json').items as unknown[];
const outputs = json('node-outputs.json') as Record<string, string>;

const cluster = (extra: Partial<RecordedCluster> = {}) => createRecordedView({ objects: [...nodes, ...workloads], ...extra });
const check = (body: object): Check => ({ id: 'c', description: 'test check', points: 2, ...body }) as Check;

describe('nodeReady', () => {
  it('passes for a Ready node and reads the condition, not text', async () => {
    const r = await runCheck(check({ nodeReady: { node: 'control-plane' } }), cluster());
    expect(r).toMatchObject({ passed: true, points: 2, maxPoints: 2, expected: 'node kd-ab12cd-control-plane Ready=True' });
    expect(r.actual).toBe('Ready=True (KubeletReady: kubelet is posting ready status)');
  });
  it('fails for KubeletNotReady with the reason in learner words', async () => {
    const r = await runCheck(check({ nodeReady: { node: 'worker2' }, explain: 'look at the CNI' }), cluster());
    expect(r.passed).toBe(false);
    expect(r.points).toBe(0);
    expect(r.actual).toMatch(/^Ready=False \(KubeletNotReady: container runtime network not ready/);
    expect(r.explain).toBe('look at the CNI');
  });
  it('treats Unknown as not ready (ready: false passes)', async () => {
    const r = await runCheck(check({ nodeReady: { node: 'worker', ready: false } }), cluster());
    expect(r.passed).toBe(true);
    expect(r.actual).toBe('Ready=Unknown (NodeStatusUnknown: Kubelet stopped posting node status.)');
  });
  it('reports a deleted node', async () => {
    const r = await runCheck(check({ nodeReady: { node: 'worker' } }), cluster({ objects: [] }));
    expect(r).toMatchObject({ passed: false, actual: 'node kd-ab12cd-worker does not exist' });
    expect(r.error).toBeUndefined();
  });
  it('turns a dead API server into an error result, not a crash', async () => {
    const r = await runCheck(check({ nodeReady: { node: 'worker' } }), cluster({ apiDown: true }));
    expect(r.passed).toBe(false);
    expect(r.error).toMatch(/the API server did not answer/);
    expect(r.actual).toMatch(/^could not check: /);
  });
});

describe('object', () => {
  it('partial match names the mismatching field', async () => {
    const r = await runCheck(
      check({ object: { kind: 'Deployment', apiVersion: 'apps/v1', name: 'coredns', namespace: 'kube-system', match: { spec: { replicas: 2 } } } }),
      cluster(),
    );
    expect(r.passed).toBe(false);
    expect(r.actual).toBe('spec.replicas is 0 (expected 2)');
    expect(r.expected).toBe('Deployment kube-system/coredns exists matching {"spec":{"replicas":2}}');
  });
  it('sends the qualified resource to kubectl', async () => {
    const view = cluster();
    await runCheck(check({ object: { kind: 'Deployment', apiVersion: 'apps/v1', name: 'coredns', namespace: 'kube-system' } }), view);
    expect(view.calls.getJson[0]).toEqual(['deployment.v1.apps', 'coredns', '-n', 'kube-system']);
  });
  it('matches list elements as a subset, in any order', async () => {
    const r = await runCheck(
      check({
        object: {
          kind: 'Deployment', name: 'coredns', namespace: 'kube-system',
          match: { spec: { template: { spec: { tolerations: [{ key: 'node-role.kubernetes.io/control-plane' }, { key: 'CriticalAddonsOnly' }] } } } },
        },
      }),
      cluster(),
    );
    expect(r.passed).toBe(true);
  });
  it('evaluates a JMESPath expr and shows its value on failure', async () => {
    const base = { kind: 'Deployment', name: 'coredns', namespace: 'kube-system' };
    const ok = await runCheck(check({ object: { ...base, expr: "spec.template.spec.containers[?name=='coredns'] | length(@) == `1`" } }), cluster());
    expect(ok.passed).toBe(true);
    const bad = await runCheck(check({ object: { ...base, expr: 'status.readyReplicas' } }), cluster());
    expect(bad).toMatchObject({ passed: false, actual: 'status.readyReplicas is null' });
  });
  it('reports not found', async () => {
    const r = await runCheck(check({ object: { kind: 'Deployment', name: 'web', namespace: 'shop' } }), cluster());
    expect(r).toMatchObject({ passed: false, actual: 'Deployment shop/web not found' });
  });
  it('list with quantifier all fails when one pod is Pending, any passes', async () => {
    const base = { kind: 'pods', namespace: 'shop', selector: 'app=web', match: { status: { phase: 'Running' } } };
    const all = await runCheck(check({ object: base }), cluster());
    expect(all.passed).toBe(false);
    expect(all.actual).toMatch(/^2 found, 1 matching \(shop\/web-7c9d8f6b5-fghij: status\.phase is "Pending" \(expected "Running"\)\)$/);
    const any = await runCheck(check({ object: { ...base, quantifier: 'any' } }), cluster());
    expect(any.passed).toBe(true);
    const anyTwo = await runCheck(check({ object: { ...base, quantifier: 'any', minCount: 2 } }), cluster());
    expect(anyTwo.passed).toBe(false);
  });
  it('an empty list does not pass "all" vacuously', async () => {
    const r = await runCheck(check({ object: { kind: 'pods', namespace: 'empty', match: { status: { phase: 'Running' } } } }), cluster());
    expect(r).toMatchObject({ passed: false, actual: '0 found, 0 matching' });
  });
  it('list expr runs over the items array', async () => {
    const r = await runCheck(
      check({ object: { kind: 'pods', namespace: 'shop', expr: "length([?spec.nodeName=='{{nodes.worker2}}']) == `1`" } }),
      cluster(),
    );
    expect(r.passed).toBe(true);
  });
  it('finds FailedScheduling events by reason', async () => {
    const r = await runCheck(
      check({ object: { kind: 'events', namespace: 'shop', quantifier: 'any', match: { reason: 'FailedScheduling', involvedObject: { kind: 'Pod' } } } }),
      cluster(),
    );
    expect(r.passed).toBe(true);
  });
});

describe('absent', () => {
  it('fails listing the Pending pod, passes once it is gone', async () => {
    const spec = { absent: { kind: 'pods', allNamespaces: true, expr: "status.phase == 'Pending'" } };
    const r = await runCheck(check(spec), cluster());
    expect(r).toMatchObject({ passed: false, actual: 'found 1: shop/web-7c9d8f6b5-fghij' });
    const fixed = cluster({ objects: workloads.filter((o) => (o as { metadata: { name: string } }).metadata.name !== 'web-7c9d8f6b5-fghij') });
    expect(await runCheck(check(spec), fixed)).toMatchObject({ passed: true, actual: '1 found, none where status.phase == \'Pending\'' });
  });
  it('with a name passes when the object is missing', async () => {
    expect((await runCheck(check({ absent: { kind: 'daemonset', name: 'kube-proxy', namespace: 'kube-system' } }), cluster())).passed).toBe(true);
    expect((await runCheck(check({ absent: { kind: 'Deployment', name: 'coredns', namespace: 'kube-system' } }), cluster())).passed).toBe(false);
  });
});

describe('findMismatch', () => {
  it('null means absent or null', () => {
    expect(findMismatch({ spec: { unschedulable: null } }, { spec: {} })).toBeNull();
    expect(findMismatch({ spec: { unschedulable: null } }, { spec: { unschedulable: true } })).toBe('spec.unschedulable is true (expected it absent)');
  });
  it('scalars are strict', () => {
    expect(findMismatch({ a: '2' }, { a: 2 })).toBe('a is 2 (expected "2")');
  });
});

describe('command', () => {
  it('checks exit code and stdout regexes', async () => {
    const view = cluster({ scripts: [{ node: 'control-plane', match: /kubeadm token list/, reply: { stdout: 'abcdef.0123456789abcdef   23h\n' } }] });
    const ok = await runCheck(check({ command: { node: 'control-plane', script: 'kubeadm token list', stdoutMatches: '^abcdef\\.' } }), view);
    expect(ok.passed).toBe(true);
    const not = await runCheck(check({ command: { node: 'control-plane', script: 'kubeadm token list', stdoutNotMatches: '23h' } }), view);
    expect(not.passed).toBe(false);
    const exit = await runCheck(check({ command: { node: 'worker', script: 'kubeadm token list' } }), view);
    expect(exit).toMatchObject({ passed: false });
    expect(exit.actual).toMatch(/^exit code 127/);
  });
});

describe('file', () => {
  const kubeletConfigReply = { stdout: `KD_MODE 644\nKD_CONTENT\n${outputs.kubeletConfig}` };
  const view = () => cluster({ scripts: [{ node: 'worker', match: /config\.yaml/, reply: kubeletConfigReply }, { match: /missing/, reply: { stdout: 'KD_MISSING\n' } }] });
  it('reads mode, regex and yaml path in one go', async () => {
    const r = await runCheck(
      check({ file: { node: 'worker', path: '/var/lib/kubelet/config.yaml', mode: '0644', contains: '^staticPodPath: /etc/kubernetes/manifests$', yaml: { path: 'cgroupDriver', equals: 'systemd' } } }),
      view(),
    );
    expect(r).toMatchObject({ passed: true, actual: 'cgroupDriver is "systemd"' });
  });
  it('fails on mode, yaml value and missing files with learner words', async () => {
    const mode = await runCheck(check({ file: { node: 'worker', path: '/var/lib/kubelet/config.yaml', mode: '0600' } }), view());
    expect(mode).toMatchObject({ passed: false, actual: 'mode is 0644' });
    const y = await runCheck(check({ file: { node: 'worker', path: '/var/lib/kubelet/config.yaml', yaml: { path: 'evictionHard."nodefs.available"', equals: '10%' } } }), view());
    expect(y).toMatchObject({ passed: false, actual: 'evictionHard."nodefs.available" is "0%"' });
    const missing = await runCheck(check({ file: { node: 'worker', path: '/root/missing' } }), view());
    expect(missing).toMatchObject({ passed: false, actual: '/root/missing on worker not found' });
    const absent = await runCheck(check({ file: { node: 'worker', path: '/root/missing', exists: false } }), view());
    expect(absent.passed).toBe(true);
  });
  it('parses the state script output', () => {
    expect(parseFileState('KD_MODE 600\nKD_CONTENT\nKD_MODE inside\n')).toEqual({ exists: true, mode: '600', content: 'KD_MODE inside\n' });
    expect(parseFileState('KD_MODE 755\nKD_DIR\n')).toMatchObject({ isDir: true });
    expect(() => parseFileState('garbage')).toThrow(/unexpected output/);
  });
});

describe('systemd', () => {
  const v = (stdout: string) => cluster({ scripts: [{ node: 'worker', match: /systemctl is-active 'kubelet'/, reply: { stdout } }] });
  it('stopped and disabled kubelet fails active+enabled', async () => {
    const r = await runCheck(check({ systemd: { node: 'worker', unit: 'kubelet', active: true, enabled: true } }), v(outputs.systemctlKubeletStoppedDisabled!));
    expect(r).toMatchObject({ passed: false, expected: 'kubelet on worker is active and enabled', actual: 'kubelet is inactive and disabled' });
  });
  it('a crash-looping unit (activating) is not active', async () => {
    const r = await runCheck(check({ systemd: { node: 'worker', unit: 'kubelet', active: true } }), v(outputs.systemctlKubeletCrashLoop!));
    expect(r.passed).toBe(false);
  });
  it('running and enabled passes', async () => {
    const r = await runCheck(check({ systemd: { node: 'worker', unit: 'kubelet', active: true, enabled: true } }), v(outputs.systemctlKubeletRunning!));
    expect(r.passed).toBe(true);
  });
});

describe('etcdSnapshot', () => {
  const spec = { node: 'control-plane', path: '/opt/backup/etcd.db', containsKey: '/registry/configmaps/default/marker' };
  it('valid snapshot with the key', async () => {
    const view = cluster({ scripts: [{ match: /etcdutl snapshot status/, reply: { stdout: `KD_STATUS_RC 0\n${outputs.etcdutlStatus}\nKD_KEY_FOUND\n` } }] });
    const r = await runCheck(check({ etcdSnapshot: spec }), view);
    expect(r.passed).toBe(true);
    expect(r.actual).toBe('valid snapshot (revision 1873, 1061 keys, 4407296 bytes), key /registry/configmaps/default/marker present');
    expect(view.calls.scripts[0]!.script).toContain("grep -aqF -- '/registry/configmaps/default/marker'");
  });
  it('valid snapshot without the key fails', async () => {
    const view = cluster({ scripts: [{ match: /etcdutl/, reply: { stdout: `KD_STATUS_RC 0\n${outputs.etcdutlStatus}\nKD_KEY_MISSING\n` } }] });
    const r = await runCheck(check({ etcdSnapshot: spec }), view);
    expect(r).toMatchObject({ passed: false });
    expect(r.actual).toMatch(/but key .* is not in it$/);
  });
  it('corrupt or missing file fails; missing etcdutl is an error', async () => {
    const corrupt = await runCheck(check({ etcdSnapshot: spec }), cluster({ scripts: [{ match: /etcdutl/, reply: { stdout: `KD_STATUS_RC 1\n${outputs.etcdutlCorrupt}\nKD_KEY_MISSING\n` } }] }));
    expect(corrupt).toMatchObject({ passed: false, actual: 'not a valid snapshot: Error: invalid database' });
    const missing = await runCheck(check({ etcdSnapshot: spec }), cluster({ scripts: [{ match: /etcdutl/, reply: { stdout: 'KD_MISSING\n' } }] }));
    expect(missing.actual).toBe('no file at /opt/backup/etcd.db');
    const tool = await runCheck(check({ etcdSnapshot: spec }), cluster({ scripts: [{ match: /etcdutl/, reply: { stdout: 'KD_NO_ETCDUTL\n' } }] }));
    expect(tool.error).toMatch(/etcdutl is not installed/);
  });
});

describe('grade', () => {
  const scenario = {
    id: 's', checks: [
      { id: 'ready', description: 'worker2 Ready', points: 3, nodeReady: { node: 'worker2' } },
      { id: 'cp', description: 'control plane Ready', points: 1, nodeReady: { node: 'control-plane' } },
    ],
  } as unknown as Scenario;

  it('scores once without a timeout', async () => {
    const report = await grade(scenario, cluster());
    expect(report).toMatchObject({ scenarioId: 's', score: 1, maxScore: 4, percent: 25 });
    expect(report.checks.map((c) => c.passed)).toEqual([false, true]);
  });

  it('polls failing checks until they pass', async () => {
    const view = cluster();
    let rounds = 0;
    const report = await grade(scenario, view, {
      timeoutSeconds: 5,
      pollSeconds: 0.05,
      onRound: () => {
        rounds++;
        if (rounds === 2) {
          // The learner's fix lands between polls.
          const w2 = (view.state.objects as Array<{ metadata: { name: string }; status: { conditions: Array<{ type: string; status: string }> } }>)
            .find((o) => o.metadata.name === 'kd-ab12cd-worker2')!;
          view.state.objects = view.state.objects!.map((o) =>
            o === w2 ? { ...w2, status: { conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady' }] } } : o,
          );
        }
      },
    });
    expect(report.score).toBe(4);
    expect(rounds).toBe(3);
    // only the failing check was re-run after the first round
    const cpReads = view.calls.getJson.filter((a) => a[1] === 'kd-ab12cd-control-plane').length;
    expect(cpReads).toBe(1);
  });

  it('gives up at the timeout', async () => {
    const started = Date.now();
    const report = await grade(scenario, cluster(), { timeoutSeconds: 0.3, pollSeconds: 0.1 });
    expect(report.score).toBe(1);
    expect(Date.now() - started).toBeLessThan(1500);
  });
});
