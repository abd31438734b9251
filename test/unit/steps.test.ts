import { describe, expect, it } from 'vitest';
import { captureIdentity, checkGuards } from '../../graders/guards.js';
import { applyLiteralReplacements, runStep, runSteps, StepError, type StepContext } from '../../server/steps/index.js';
import { fillPlaceholders, PlaceholderError, shellQuote } from '../../server/steps/placeholders.js';
import { applyYamlEdits, backupPathFor, parseYamlPath } from '../../server/steps/yaml-edit.js';
import { writeFileScript } from '../../server/steps/node-files.js';
import type { Step } from '../../server/scenarios/types.js';
import { createRecordedView, type RecordedCluster } from '../helpers/recorded-view.js';
import type { ExecResult } from '../../clusters/driver.js';

const vars = { cluster: 'kd-ab12cd', nodes: { 'control-plane': 'kd-ab12cd-control-plane', worker: 'kd-ab12cd-worker' } };

describe('fillPlaceholders', () => {
  it('fills nested strings and leaves Go templates and keys alone', () => {
    const out = fillPlaceholders(
      { script: 'kubectl drain {{ nodes.worker }} # {{cluster}}', list: ['{{nodes.control-plane}}', 3, null], '{{cluster}}': "{{.metadata.name}}" },
      vars,
    );
    expect(out).toEqual({ script: 'kubectl drain kd-ab12cd-worker # kd-ab12cd', list: ['kd-ab12cd-control-plane', 3, null], '{{cluster}}': '{{.metadata.name}}' });
  });
  it('throws on an unknown alias', () => {
    expect(() => fillPlaceholders('{{nodes.worker2}}', vars)).toThrow(PlaceholderError);
  });
  it('shellQuote survives single quotes', () => {
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
  });
});

const apiserver = `# managed by kubeadm
apiVersion: v1
kind: Pod
metadata:
  name: kube-apiserver
  namespace: kube-system
  labels:
    component: kube-apiserver
spec:
  containers:
  - command:
    - kube-apiserver
    - --advertise-address=172.18.0.3
    - --etcd-servers=https://127.0.0.1:2379 # local etcd
    image: registry.k8s.io/kube-apiserver:v1.34.2
    name: kube-apiserver
`;

describe('editYaml (pure part)', () => {
  it('parses paths with indexes and quoted keys', () => {
    expect(parseYamlPath('spec.containers[0].command[3]')).toEqual(['spec', 'containers', 0, 'command', 3]);
    expect(parseYamlPath('metadata.labels["app.kubernetes.io/name"]')).toEqual(['metadata', 'labels', 'app.kubernetes.io/name']);
    expect(() => parseYamlPath('spec..x')).toThrow(/bad path/);
    expect(() => parseYamlPath('')).toThrow(/bad path/);
  });
  it('sets, deletes and replaces while keeping comments', () => {
    const out = applyYamlEdits(apiserver, {
      set: { 'spec.containers[0].image': 'registry.k8s.io/kube-apiserver:v9.9.9', 'metadata.labels["kubedrill.io/broken"]': 'yes', 'metadata.labels.component': null },
      replaceIn: [{ path: 'spec.containers[0].command', from: ':2379', to: ':2399' }],
    });
    expect(out).toContain('# managed by kubeadm');
    expect(out).toContain('- --etcd-servers=https://127.0.0.1:2399 # local etcd');
    expect(out).toContain('image: registry.k8s.io/kube-apiserver:v9.9.9');
    expect(out).toContain('kubedrill.io/broken: yes');
    expect(out).not.toContain('component: kube-apiserver');
  });
  it('fails clearly when nothing to replace or the index is wrong', () => {
    expect(() => applyYamlEdits(apiserver, { replaceIn: [{ path: 'spec.containers[0].command', from: '--nope', to: 'x' }] })).toThrow(
      /replaceIn spec.containers\[0\].command: "--nope" not found/,
    );
    expect(() => applyYamlEdits(apiserver, { set: { 'spec.containers[5].image': 'x' } })).toThrow(/index 5 is past the end/);
    expect(() => applyYamlEdits(apiserver, { set: { 'spec.containers.image': 'x' } })).toThrow(/is a list; use \[n\]/);
    expect(() => applyYamlEdits(apiserver, { set: { 'spec.nothing': null } })).toThrow(/does not exist/);
  });
  it('keeps backups out of the static pod folder', () => {
    const p = backupPathFor('/etc/kubernetes/manifests/kube-apiserver.yaml');
    expect(p).toBe('/var/lib/kubedrill/backups/etc_kubernetes_manifests_kube-apiserver.yaml');
    expect(p.startsWith('/etc/kubernetes/manifests')).toBe(false);
  });
});

describe('editFile (pure part)', () => {
  it('replaces all occurrences and fails on a missing from', () => {
    expect(applyLiteralReplacements('a b a', [{ from: 'a', to: 'c' }], '/f')).toBe('c b c');
    expect(() => applyLiteralReplacements('a', [{ from: 'zz', to: 'c' }], '/etc/f')).toThrow('"zz" not found in /etc/f');
  });
});

describe('writeFileScript', () => {
  it('moves a hidden temp file into place and carries content as base64', () => {
    const script = writeFileScript('/etc/kubernetes/manifests/x.yaml', "it's\n", '0600');
    expect(script).toContain("t='/etc/kubernetes/manifests/.kubedrill-x.yaml.tmp'");
    expect(script).toContain(Buffer.from("it's\n").toString('base64'));
    expect(script).toContain(`chmod '0600' "$t"`);
    expect(script.trim().endsWith('mv -f "$t" "$f"')).toBe(true);
  });
});

/** A step context over a recorded view that records kubectl calls and node scripts. */
function stepContext(state: RecordedCluster = {}, kubectlReply: Partial<ExecResult> = {}) {
  const view = createRecordedView(state);
  const kubectlCalls: Array<{ args: string[]; stdin?: string }> = [];
  const log: string[] = [];
  const ctx: StepContext = {
    view,
    log: (l) => log.push(l),
    kubectl: async (args, stdin) => {
      kubectlCalls.push({ args, stdin });
      return { exitCode: 0, stdout: '', stderr: '', ...kubectlReply };
    },
  };
  return { ctx, view, kubectlCalls, log };
}

describe('runStep', () => {
  it('builds kubectl argv (no shell strings) with placeholders filled', async () => {
    const { ctx, kubectlCalls } = stepContext();
    await runStep({ node: { name: 'worker', taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }], labels: { disk: 'ssd', old: null }, cordon: true } }, ctx);
    await runStep({ patch: { kind: 'deployment', name: 'coredns', namespace: 'kube-system', patch: { spec: { replicas: 0 } } } }, ctx);
    await runStep({ delete: { kind: 'ds', name: 'kube-proxy', namespace: 'kube-system' } }, ctx);
    await runStep({ apply: { manifest: 'kind: Namespace\nmetadata: {name: "{{cluster}}"}\n' } }, ctx);
    expect(kubectlCalls.map((c) => c.args)).toEqual([
      ['taint', 'nodes', 'kd-ab12cd-worker', 'dedicated=gpu:NoSchedule', '--overwrite'],
      ['label', 'nodes', 'kd-ab12cd-worker', 'disk=ssd', 'old-', '--overwrite'],
      ['cordon', 'kd-ab12cd-worker'],
      ['patch', 'deployment', 'coredns', '-n', 'kube-system', '--type', 'merge', '-p', '{"spec":{"replicas":0}}'],
      ['delete', 'ds', 'kube-proxy', '-n', 'kube-system', '--ignore-not-found', '--wait=false'],
      ['apply', '-f', '-'],
    ]);
    expect(kubectlCalls[5]!.stdin).toBe('kind: Namespace\nmetadata: {name: "kd-ab12cd"}\n');
  });

  it('editFile reads, fails clearly when from is missing, and writes nothing then', async () => {
    const { ctx, view } = stepContext({ scripts: [{ match: /^cat -- /, reply: { stdout: 'cgroupDriver: systemd\n' } }, { match: /base64 -d/, reply: {} }] });
    await expect(runStep({ editFile: { node: 'worker', path: '/var/lib/kubelet/config.yaml', replace: [{ from: 'cgroupfs', to: 'x' }] } }, ctx)).rejects.toThrow(
      /editFile .*: "cgroupfs" not found in \/var\/lib\/kubelet\/config.yaml/,
    );
    expect(view.calls.scripts.some((s) => s.script.includes('base64 -d'))).toBe(false);
    await runStep({ editFile: { node: 'worker', path: '/var/lib/kubelet/config.yaml', replace: [{ from: 'systemd', to: 'cgroupfs' }] } }, ctx);
    const write = view.calls.scripts.find((s) => s.script.includes('base64 -d'))!;
    expect(write.script).toContain(Buffer.from('cgroupDriver: cgroupfs\n').toString('base64'));
  });

  it('editYaml backs up outside the manifests folder before writing', async () => {
    const { ctx, view } = stepContext({ scripts: [{ match: /^cat -- /, reply: { stdout: apiserver } }, { match: /./, reply: {} }] });
    await runStep({ editYaml: { node: 'control-plane', path: '/etc/kubernetes/manifests/kube-apiserver.yaml', set: { 'spec.containers[0].image': 'bad:1' } } }, ctx);
    const scripts = view.calls.scripts.map((s) => s.script);
    expect(scripts[1]).toContain("b='/var/lib/kubedrill/backups/etc_kubernetes_manifests_kube-apiserver.yaml'");
    expect(scripts[2]).toContain('base64 -d');
  });

  it('a failing run step names the step and shows stderr', async () => {
    const { ctx } = stepContext({ scripts: [{ match: /false/, reply: { exitCode: 1, stderr: 'boom' } }] });
    const steps: Step[] = [{ name: 'break it', run: { node: 'worker', script: 'false' } }];
    await expect(runSteps(steps, ctx, 'faults')).rejects.toThrow('faults[0]: break it (run): exit code 1 on worker:\nboom');
  });

  it('wait polls a check and times out naming it', async () => {
    const { ctx } = stepContext({ objects: [] });
    const err = await runStep({ wait: { for: { nodeReady: { node: 'worker' } }, timeoutSeconds: 0.2, pollSeconds: 0.05 } }, ctx).catch((e) => e);
    expect(err).toBeInstanceOf(StepError);
    expect(err.message).toMatch(/timed out after 0s waiting for wait for nodeReady: expected node kd-ab12cd-worker Ready=True, found node kd-ab12cd-worker does not exist/);
  });
});

describe('guards', () => {
  const nodeObj = (name: string, uid: string) => ({ kind: 'Node', metadata: { name, uid } });
  const state = (ca: string, nodes: unknown[]): RecordedCluster => ({
    objects: nodes,
    scripts: [{ node: 'control-plane', match: /sha256sum \/etc\/kubernetes\/pki\/ca\.crt/, reply: { stdout: `${ca}  /etc/kubernetes/pki/ca.crt\n` } }],
  });
  const ca1 = 'a'.repeat(64);
  const ca2 = 'b'.repeat(64);
  const original = [nodeObj('kd-ab12cd-control-plane', 'u1'), nodeObj('kd-ab12cd-worker', 'u2')];

  it('passes (no results) on the same cluster', async () => {
    const id = await captureIdentity(createRecordedView(state(ca1, original)));
    expect(id.nodes).toEqual({ 'kd-ab12cd-control-plane': 'u1', 'kd-ab12cd-worker': 'u2' });
    expect(await checkGuards(id, createRecordedView(state(ca1, original)))).toEqual([]);
  });
  it('fails on a new CA and on a re-created node', async () => {
    const id = await captureIdentity(createRecordedView(state(ca1, original)));
    const results = await checkGuards(id, createRecordedView(state(ca2, [original[0], nodeObj('kd-ab12cd-worker', 'u9')])));
    expect(results.map((r) => [r.id, r.passed])).toEqual([
      ['guard-cluster-identity', false],
      ['guard-nodes-intact', false],
    ]);
    expect(results[1]!.actual).toBe('node kd-ab12cd-worker was deleted and re-registered (new UID)');
  });
  it('reports a deleted node, unless the scenario allows it', async () => {
    const id = await captureIdentity(createRecordedView(state(ca1, original)));
    const view = createRecordedView(state(ca1, [original[0]]));
    expect((await checkGuards(id, view))[0]!.actual).toBe('node kd-ab12cd-worker was deleted');
    expect(await checkGuards(id, view, { nodesIntact: false })).toEqual([]);
  });
});
