import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCheck } from '../../graders/index.js';
import {
  evaluateConnection,
  selectorMatches,
  type NamespaceJson,
  type NetworkPolicyJson,
  type PodJson,
} from '../../graders/checks/network-policy.js';
import { parseScenario } from '../../server/scenarios/loader.js';
import type { Check } from '../../server/scenarios/types.js';
import { createRecordedView } from '../helpers/recorded-view.js';

// ---- plain JSON builders ------------------------------------------------------

const ns = (name: string, labels: Record<string, string> = {}): NamespaceJson => ({
  metadata: { name, labels: { 'kubernetes.io/metadata.name': name, ...labels } },
});
type Port = { name?: string; containerPort: number; protocol?: string };
const pod = (namespace: string, name: string, labels: Record<string, string>, ip?: string | string[], ports: Port[] = []): PodJson => {
  const ips = ip === undefined ? [] : Array.isArray(ip) ? ip : [ip];
  return {
    metadata: { name, namespace, labels },
    spec: { containers: [{ name: 'c', ports }] },
    status: ips.length ? { podIP: ips[0], podIPs: ips.map((x) => ({ ip: x })) } : {},
  };
};
const policy = (namespace: string, name: string, spec: NetworkPolicyJson['spec']): NetworkPolicyJson => ({ metadata: { name, namespace }, spec });

const namespaces = [ns('payments'), ns('monitoring', { team: 'ops' }), ns('dev', { team: 'dev' })];
const api = pod('payments', 'api', { app: 'api' }, '10.244.1.5', [
  { name: 'http', containerPort: 80, protocol: 'TCP' },
  { name: 'metrics', containerPort: 9090 },
  { name: 'dns', containerPort: 53, protocol: 'UDP' },
]);
const db = pod('payments', 'db', { app: 'db' }, '10.244.1.10', [{ name: 'pg', containerPort: 5432 }]);
const frontend = pod('payments', 'frontend', { role: 'frontend' }, '10.244.1.6');
const reporting = pod('payments', 'reporting', { role: 'reporting' }, '10.244.1.7');
const prom = pod('monitoring', 'prom', { role: 'frontend' }, '10.244.2.9'); // same labels as frontend, other namespace
const grafana = pod('monitoring', 'grafana', { role: 'dashboard' }, '10.244.2.10');

const defaultDeny = policy('payments', 'default-deny-ingress', { podSelector: {}, policyTypes: ['Ingress'] });
const allowFrontend = policy('payments', 'allow-frontend-to-api', {
  podSelector: { matchLabels: { app: 'api' } },
  policyTypes: ['Ingress'],
  ingress: [{ from: [{ podSelector: { matchLabels: { role: 'frontend' } } }], ports: [{ protocol: 'TCP', port: 80 }] }],
});
/** A policy that isolates api for ingress with one rule. */
const apiIngress = (rule: NonNullable<NonNullable<NetworkPolicyJson['spec']>['ingress']>[number], name = 'allow') =>
  policy('payments', name, { podSelector: { matchLabels: { app: 'api' } }, policyTypes: ['Ingress'], ingress: [rule] });

const verdict = (source: PodJson, destination: PodJson, port: number | string, policies: NetworkPolicyJson[], protocol?: string) =>
  evaluateConnection({ source, destination, port, protocol, namespaces, policies });
const allowed = (source: PodJson, destination: PodJson, port: number | string, policies: NetworkPolicyJson[], protocol?: string) =>
  verdict(source, destination, port, policies, protocol).allowed;

// ---- label selectors -------------------------------------------------------------

describe('selectorMatches', () => {
  const labels = { app: 'api', tier: 'backend' };
  it('an empty selector matches everything, even no labels', () => {
    expect(selectorMatches({}, labels)).toBe(true);
    expect(selectorMatches({}, undefined)).toBe(true);
  });
  it('matchLabels needs every pair', () => {
    expect(selectorMatches({ matchLabels: { app: 'api' } }, labels)).toBe(true);
    expect(selectorMatches({ matchLabels: { app: 'api', tier: 'front' } }, labels)).toBe(false);
  });
  it('In, NotIn, Exists, DoesNotExist', () => {
    expect(selectorMatches({ matchExpressions: [{ key: 'app', operator: 'In', values: ['web', 'api'] }] }, labels)).toBe(true);
    expect(selectorMatches({ matchExpressions: [{ key: 'app', operator: 'In', values: ['web'] }] }, labels)).toBe(false);
    expect(selectorMatches({ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] }, labels)).toBe(false);
    expect(selectorMatches({ matchExpressions: [{ key: 'app', operator: 'NotIn', values: ['web'] }] }, labels)).toBe(true);
    expect(selectorMatches({ matchExpressions: [{ key: 'app', operator: 'NotIn', values: ['api'] }] }, labels)).toBe(false);
    expect(selectorMatches({ matchExpressions: [{ key: 'zone', operator: 'NotIn', values: ['a'] }] }, labels)).toBe(true); // absent key
    expect(selectorMatches({ matchExpressions: [{ key: 'tier', operator: 'Exists' }] }, labels)).toBe(true);
    expect(selectorMatches({ matchExpressions: [{ key: 'zone', operator: 'Exists' }] }, labels)).toBe(false);
    expect(selectorMatches({ matchExpressions: [{ key: 'zone', operator: 'DoesNotExist' }] }, labels)).toBe(true);
    expect(selectorMatches({ matchExpressions: [{ key: 'app', operator: 'DoesNotExist' }] }, labels)).toBe(false);
  });
  it('ANDs matchLabels with every expression; an unknown operator matches nothing', () => {
    const sel = { matchLabels: { app: 'api' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['backend'] }] };
    expect(selectorMatches(sel, labels)).toBe(true);
    expect(selectorMatches(sel, { app: 'api', tier: 'frontend' })).toBe(false);
    expect(selectorMatches({ matchExpressions: [{ key: 'app', operator: 'Gt', values: ['1'] }] }, labels)).toBe(false);
  });
});

// ---- the evaluation ------------------------------------------------------------------

describe('evaluateConnection', () => {
  it('no policies: everything is allowed', () => {
    const v = verdict(reporting, api, 80, []);
    expect(v.allowed).toBe(true);
    expect(v.ingress).toMatchObject({ isolatedBy: [], allowed: true });
    expect(v.egress).toMatchObject({ isolatedBy: [], allowed: true });
    expect(v.reason).toBe('allowed: no NetworkPolicy isolates payments/api for ingress or payments/reporting for egress');
  });

  it('default-deny isolates every pod of its namespace for ingress and admits nothing', () => {
    const v = verdict(reporting, api, 80, [defaultDeny]);
    expect(v.allowed).toBe(false);
    expect(v.ingress.isolatedBy).toEqual(['default-deny-ingress']);
    expect(v.egress.isolatedBy).toEqual([]);
    expect(v.reason).toBe('denied: payments/api is isolated for ingress by default-deny-ingress; no rule admits payments/reporting');
    expect(allowed(frontend, db, 5432, [defaultDeny])).toBe(false);
  });

  it('a policy in another namespace does not isolate the pod', () => {
    const denyMonitoring = policy('monitoring', 'deny-all', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
    expect(allowed(reporting, api, 80, [denyMonitoring])).toBe(true);
    expect(allowed(prom, api, 80, [denyMonitoring])).toBe(false); // prom's egress is denied
  });

  it('allows by podSelector matchLabels; policies add up', () => {
    const v = verdict(frontend, api, 80, [allowFrontend, defaultDeny]);
    expect(v.allowed).toBe(true);
    expect(v.ingress.allowedBy).toEqual({ policy: 'allow-frontend-to-api', rule: 0 });
    expect(v.reason).toBe('allowed: ingress to payments/api is allowed by policy allow-frontend-to-api (rule 0)');
    const denied = verdict(reporting, api, 80, [allowFrontend, defaultDeny]);
    expect(denied.allowed).toBe(false);
    expect(denied.reason).toBe(
      'denied: payments/api is isolated for ingress by allow-frontend-to-api, default-deny-ingress; no rule admits payments/reporting',
    );
    // db is isolated by default-deny only: frontend is not let in there.
    expect(allowed(frontend, db, 5432, [allowFrontend, defaultDeny])).toBe(false);
  });

  it('matchExpressions in the target and peer selectors work like matchLabels', () => {
    const p = policy('payments', 'expr', {
      podSelector: { matchExpressions: [{ key: 'app', operator: 'In', values: ['api'] }] },
      policyTypes: ['Ingress'],
      ingress: [{ from: [{ podSelector: { matchExpressions: [{ key: 'role', operator: 'In', values: ['frontend', 'web'] }] } }] }],
    });
    expect(allowed(frontend, api, 80, [p, defaultDeny])).toBe(true);
    expect(allowed(reporting, api, 80, [p, defaultDeny])).toBe(false);
    const notReporting = apiIngress({ from: [{ podSelector: { matchExpressions: [{ key: 'role', operator: 'NotIn', values: ['reporting'] }] } }] });
    expect(allowed(frontend, api, 80, [notReporting])).toBe(true);
    expect(allowed(reporting, api, 80, [notReporting])).toBe(false);
    expect(allowed(db, api, 80, [notReporting])).toBe(true); // no role label at all
  });

  it('namespaceSelector + podSelector in ONE peer is an AND', () => {
    const and = apiIngress({ from: [{ namespaceSelector: { matchLabels: { team: 'ops' } }, podSelector: { matchLabels: { role: 'frontend' } } }] });
    expect(allowed(prom, api, 80, [and])).toBe(true); // monitoring has team=ops, prom is role=frontend
    expect(allowed(grafana, api, 80, [and])).toBe(false); // right namespace, wrong pod
    expect(allowed(frontend, api, 80, [and])).toBe(false); // right pod labels, wrong namespace
  });

  it('namespaceSelector and podSelector as TWO peers is an OR', () => {
    const or = apiIngress({ from: [{ namespaceSelector: { matchLabels: { team: 'ops' } } }, { podSelector: { matchLabels: { role: 'frontend' } } }] });
    expect(allowed(prom, api, 80, [or])).toBe(true);
    expect(allowed(grafana, api, 80, [or])).toBe(true); // every pod of monitoring
    expect(allowed(frontend, api, 80, [or])).toBe(true); // same-namespace podSelector
    expect(allowed(reporting, api, 80, [or])).toBe(false);
  });

  it('a podSelector-only peer means the policy namespace: same labels elsewhere are denied', () => {
    expect(allowed(frontend, api, 80, [allowFrontend])).toBe(true);
    const v = verdict(prom, api, 80, [allowFrontend]);
    expect(v.allowed).toBe(false);
    expect(v.reason).toBe('denied: payments/api is isolated for ingress by allow-frontend-to-api; no rule admits monitoring/prom');
  });

  it('namespaceSelector on kubernetes.io/metadata.name (label implied even if the Namespace JSON lacks it)', () => {
    const pinned = apiIngress({
      from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'payments' } }, podSelector: { matchLabels: { role: 'frontend' } } }],
    });
    const bare = [{ metadata: { name: 'payments' } }, { metadata: { name: 'monitoring', labels: { team: 'ops' } } }];
    for (const nsList of [namespaces, bare]) {
      expect(evaluateConnection({ source: frontend, destination: api, port: 80, namespaces: nsList, policies: [pinned] }).allowed).toBe(true);
      expect(evaluateConnection({ source: prom, destination: api, port: 80, namespaces: nsList, policies: [pinned] }).allowed).toBe(false);
    }
    const anyNs = apiIngress({ from: [{ namespaceSelector: {} }] });
    expect(allowed(prom, api, 80, [anyNs])).toBe(true);
  });

  it('missing or empty from admits every source; missing ports admit every port', () => {
    const anySource = apiIngress({ ports: [{ port: 80 }] });
    expect(allowed(prom, api, 80, [anySource])).toBe(true);
    expect(allowed(prom, api, 9090, [anySource])).toBe(false);
    expect(allowed(prom, api, 9090, [apiIngress({ from: [], ports: [] })])).toBe(true);
    expect(allowed(prom, api, 12345, [apiIngress({})], 'UDP')).toBe(true);
  });

  it('named ports in a policy are resolved on the destination pod', () => {
    const named = apiIngress({ from: [{ podSelector: { matchLabels: { role: 'frontend' } } }], ports: [{ port: 'http' }] });
    expect(allowed(frontend, api, 80, [named])).toBe(true);
    const v = verdict(frontend, api, 9090, [named]);
    expect(v.allowed).toBe(false);
    expect(v.reason).toBe('denied: payments/api is isolated for ingress by allow; no rule admits payments/frontend (allow rule 0 matches the source, but not 9090/TCP)');
    // The check's port may be a name too; it is resolved on the destination.
    expect(verdict(frontend, api, 'http', [named])).toMatchObject({ allowed: true, port: 80 });
    expect(allowed(frontend, api, 'metrics', [apiIngress({ ports: [{ port: 9090 }] })])).toBe(true);
    // A policy port name the destination does not have admits nothing.
    expect(allowed(frontend, api, 80, [apiIngress({ ports: [{ port: 'web' }] })])).toBe(false);
    // Named ports carry their protocol.
    const dns = apiIngress({ ports: [{ protocol: 'UDP', port: 'dns' }] });
    expect(allowed(frontend, api, 53, [dns], 'UDP')).toBe(true);
    expect(allowed(frontend, api, 53, [dns], 'TCP')).toBe(false);
  });

  it('a named port the destination lacks is an error', () => {
    expect(() => verdict(frontend, api, 'grpc', [])).toThrow('pod payments/api has no TCP container port named "grpc"');
    expect(() => verdict(frontend, api, 'dns', [], 'TCP')).toThrow(/no TCP container port named "dns"/);
  });

  it('endPort makes an inclusive range', () => {
    const range = apiIngress({ ports: [{ protocol: 'TCP', port: 8000, endPort: 9000 }] });
    expect(allowed(frontend, api, 8000, [range])).toBe(true);
    expect(allowed(frontend, api, 8080, [range])).toBe(true);
    expect(allowed(frontend, api, 9000, [range])).toBe(true);
    expect(allowed(frontend, api, 9090, [range])).toBe(false);
    expect(allowed(frontend, api, 7999, [range])).toBe(false);
  });

  it('protocol must match; a port entry without protocol means TCP', () => {
    const udp = apiIngress({ from: [{ podSelector: { matchLabels: { role: 'frontend' } } }], ports: [{ protocol: 'UDP', port: 80 }] });
    const v = verdict(frontend, api, 80, [udp]);
    expect(v.allowed).toBe(false);
    expect(v.ingress.peerOnly).toEqual([{ policy: 'allow', rule: 0 }]);
    expect(v.reason).toMatch(/allow rule 0 matches the source, but not 80\/TCP\)$/);
    expect(allowed(frontend, api, 80, [udp], 'UDP')).toBe(true);
    const noProtocol = apiIngress({ ports: [{ port: 80 }] });
    expect(allowed(frontend, api, 80, [noProtocol])).toBe(true);
    expect(allowed(frontend, api, 80, [noProtocol], 'UDP')).toBe(false);
    expect(allowed(frontend, api, 80, [noProtocol], 'SCTP')).toBe(false);
  });

  it('egress default-deny on the source denies even when the destination admits', () => {
    const denyEgress = policy('payments', 'deny-egress', { podSelector: { matchLabels: { role: 'reporting' } }, policyTypes: ['Egress'] });
    const v = verdict(reporting, api, 80, [denyEgress]);
    expect(v.allowed).toBe(false);
    expect(v.ingress.allowed).toBe(true);
    expect(v.egress).toMatchObject({ isolatedBy: ['deny-egress'], allowed: false });
    expect(v.reason).toBe('denied: payments/reporting is isolated for egress by deny-egress; no rule lets it reach payments/api');
    expect(allowed(frontend, api, 80, [denyEgress])).toBe(true); // not selected
    // An Egress-only policy does not isolate for ingress.
    expect(verdict(frontend, reporting, 80, [denyEgress]).ingress.isolatedBy).toEqual([]);
  });

  it('egress rules: peers are the destination, named ports resolve on the destination', () => {
    const egress = policy('payments', 'reporting-egress', {
      podSelector: { matchLabels: { role: 'reporting' } },
      policyTypes: ['Egress'],
      egress: [{ to: [{ podSelector: { matchLabels: { app: 'api' } } }], ports: [{ port: 'http' }] }],
    });
    const v = verdict(reporting, api, 80, [egress]);
    expect(v.allowed).toBe(true);
    expect(v.reason).toBe('allowed: egress from payments/reporting is allowed by policy reporting-egress (rule 0)');
    expect(allowed(reporting, db, 5432, [egress])).toBe(false);
    expect(verdict(reporting, api, 9090, [egress]).reason).toMatch(/reporting-egress rule 0 matches the destination, but not 9090\/TCP/);
    // Both directions isolated and both allowed.
    const both = verdict(reporting, api, 80, [egress, apiIngress({ from: [{ podSelector: { matchLabels: { role: 'reporting' } } }] })]);
    expect(both.reason).toBe(
      'allowed: ingress to payments/api is allowed by policy allow (rule 0); egress from payments/reporting is allowed by policy reporting-egress (rule 0)',
    );
  });

  it('both directions denied: the reason names both', () => {
    const denyAll = policy('payments', 'deny-all', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
    const v = verdict(reporting, api, 80, [denyAll]);
    expect(v.reason).toBe(
      'denied: payments/api is isolated for ingress by deny-all; no rule admits payments/reporting. ' +
        'Also payments/reporting is isolated for egress by deny-all; no rule lets it reach payments/api',
    );
  });

  it('default policyTypes: Ingress always, Egress only with egress rules', () => {
    const withEgress = policy('payments', 'implicit', {
      podSelector: { matchLabels: { role: 'reporting' } },
      egress: [{ to: [{ podSelector: { matchLabels: { app: 'db' } } }] }],
    });
    expect(allowed(reporting, db, 5432, [withEgress])).toBe(true);
    expect(allowed(reporting, api, 80, [withEgress])).toBe(false); // egress isolated
    expect(allowed(frontend, reporting, 80, [withEgress])).toBe(false); // ingress isolated too, no ingress rules
    const ingressOnly = policy('payments', 'implicit', { podSelector: { matchLabels: { role: 'reporting' } }, egress: [] });
    expect(allowed(reporting, api, 80, [ingressOnly])).toBe(true); // an empty egress list does not imply Egress
    expect(allowed(frontend, reporting, 80, [ingressOnly])).toBe(false);
  });

  it('ipBlock with except, against the source pod IP (ingress) and the destination pod IP (egress)', () => {
    const block = apiIngress({ from: [{ ipBlock: { cidr: '10.244.0.0/16', except: ['10.244.1.0/24'] } }] });
    expect(allowed(prom, api, 80, [block])).toBe(true); // 10.244.2.9
    expect(allowed(reporting, api, 80, [block])).toBe(false); // 10.244.1.7 is excepted
    expect(allowed(pod('dev', 'x', {}, '192.168.0.4'), api, 80, [block])).toBe(false);
    expect(allowed(pod('dev', 'pending', {}), api, 80, [block])).toBe(false); // no IP yet
    const egress = policy('payments', 'to-api-ip', {
      podSelector: { matchLabels: { role: 'reporting' } },
      policyTypes: ['Egress'],
      egress: [{ to: [{ ipBlock: { cidr: '10.244.1.5/32' } }] }],
    });
    expect(allowed(reporting, api, 80, [egress])).toBe(true);
    expect(allowed(reporting, db, 5432, [egress])).toBe(false);
  });

  it('ipBlock handles IPv6 and dual-stack pods', () => {
    const dual = pod('monitoring', 'dual', { role: 'x' }, ['10.244.2.20', 'fd00:10:244:2::20']);
    const v6 = apiIngress({ from: [{ ipBlock: { cidr: 'fd00:10:244::/48', except: ['fd00:10:244:1::/64'] } }] });
    expect(allowed(dual, api, 80, [v6])).toBe(true);
    expect(allowed(prom, api, 80, [v6])).toBe(false); // IPv4 only
    const excepted = pod('monitoring', 'excepted', {}, ['fd00:10:244:1::9']);
    expect(allowed(excepted, api, 80, [v6])).toBe(false);
  });
});

// ---- the check on a (recorded) cluster ---------------------------------------------------

const fixture = JSON.parse(readFileSync(path.resolve(import.meta.dirname, '../fixtures/network-policy/payments.json'), 'utf8'));
const objects = fixture.items as unknown[];
const cluster = (extra: unknown[] = [], apiDown = false) => createRecordedView({ objects: [...objects, ...extra], apiDown });
const npCheck = (spec: object, extra: object = {}): Check =>
  ({ id: 'np', description: 'network policy', points: 2, networkPolicy: spec, ...extra }) as Check;

describe('networkPolicy check', () => {
  it('passes with readable evidence for a denied connection', async () => {
    const view = cluster();
    const r = await runCheck(
      npCheck({ from: { namespace: 'payments', pod: 'reporting' }, to: { namespace: 'payments', pod: 'api' }, port: 80, protocol: 'TCP', allowed: false }),
      view,
    );
    expect(r).toMatchObject({ passed: true, points: 2, maxPoints: 2 });
    expect(r.expected).toBe('reporting → api:80/TCP denied');
    expect(r.actual).toBe(
      'denied: payments/api is isolated for ingress by allow-frontend-to-api, default-deny-ingress; no rule admits payments/reporting',
    );
    expect(r.error).toBeUndefined();
    // The cluster is read with kubectl get -o json, like the object checks.
    expect(view.calls.getJson).toEqual(
      expect.arrayContaining([
        ['pods', 'reporting', '-n', 'payments'],
        ['pods', 'api', '-n', 'payments'],
        ['namespace', 'payments'],
        ['networkpolicy.v1.networking.k8s.io', '-n', 'payments'],
      ]),
    );
  });

  it('passes for an allowed connection and fails a wrong expectation with the reason', async () => {
    const ok = await runCheck(npCheck({ from: { namespace: 'payments', pod: 'frontend' }, to: { namespace: 'payments', pod: 'api' }, port: 'http', allowed: true }), cluster());
    expect(ok).toMatchObject({
      passed: true,
      expected: 'frontend → api:http/TCP allowed',
      actual: 'allowed: ingress to payments/api is allowed by policy allow-frontend-to-api (rule 0)',
    });
    const wrong = await runCheck(
      npCheck({ from: { namespace: 'payments', pod: 'reporting' }, to: { namespace: 'payments', pod: 'api' }, port: 80, allowed: true }, { explain: 'look at the policies' }),
      cluster(),
    );
    expect(wrong).toMatchObject({ passed: false, points: 0, explain: 'look at the policies', expected: 'reporting → api:80/TCP allowed' });
    expect(wrong.actual).toMatch(/^denied: payments\/api is isolated for ingress/);
  });

  it('without any policy the verdict says so', async () => {
    const noPolicies = objects.filter((o) => (o as { kind: string }).kind !== 'NetworkPolicy');
    const r = await runCheck(
      npCheck({ from: { namespace: 'payments', pod: 'reporting' }, to: { namespace: 'payments', pod: 'api' }, port: 80, allowed: false }),
      createRecordedView({ objects: noPolicies }),
    );
    expect(r).toMatchObject({
      passed: false,
      actual: 'allowed: no NetworkPolicy isolates payments/api for ingress or payments/reporting for egress',
    });
  });

  it('names both namespaces when they differ', async () => {
    const r = await runCheck(npCheck({ from: { namespace: 'monitoring', pod: 'prom' }, to: { namespace: 'payments', pod: 'api' }, port: 80, allowed: false }), cluster());
    expect(r).toMatchObject({
      passed: true,
      expected: 'monitoring/prom → payments/api:80/TCP denied',
      actual: 'denied: payments/api is isolated for ingress by allow-frontend-to-api, default-deny-ingress; no rule admits monitoring/prom',
    });
  });

  it('a missing pod is an error naming it', async () => {
    const r = await runCheck(npCheck({ from: { namespace: 'payments', pod: 'ghost' }, to: { namespace: 'payments', pod: 'api' }, port: 80, allowed: false }), cluster());
    expect(r).toMatchObject({ passed: false, points: 0, error: 'pod payments/ghost does not exist', actual: 'could not check: pod payments/ghost does not exist' });
    const none = await runCheck(npCheck({ from: { namespace: 'payments', selector: 'role=admin' }, to: { namespace: 'payments', pod: 'api' }, port: 80, allowed: false }), cluster());
    expect(none.error).toBe('no pod in namespace payments matches role=admin');
    const job = { kind: 'Pod', ...pod('payments', 'job-x', { role: 'batch' }, '10.244.1.30'), status: { phase: 'Succeeded' } };
    const finished = await runCheck(npCheck({ from: { namespace: 'payments', selector: 'role=batch' }, to: { namespace: 'payments', pod: 'api' }, port: 80, allowed: false }), cluster([job]));
    expect(finished.error).toBe('every pod in namespace payments matching role=batch has finished');
  });

  it('a selector needs every matching pod to meet the expectation', async () => {
    const all = await runCheck(npCheck({ from: { namespace: 'payments', selector: 'role=frontend' }, to: { namespace: 'payments', pod: 'api' }, port: 80, allowed: true }), cluster());
    expect(all.passed).toBe(true);
    expect(all.expected).toBe('(pods with role=frontend) → api:80/TCP allowed');
    expect(all.actual).toBe('all 2 pod pairs allowed (frontend → api: allowed: ingress to payments/api is allowed by policy allow-frontend-to-api (rule 0))');
    const mixed = await runCheck(npCheck({ from: { namespace: 'payments', selector: 'role' }, to: { namespace: 'payments', pod: 'api' }, port: 80, allowed: true }), cluster());
    expect(mixed.passed).toBe(false);
    expect(mixed.actual).toBe(
      '1 of 3 pod pairs denied; reporting → api: denied: payments/api is isolated for ingress by allow-frontend-to-api, default-deny-ingress; no rule admits payments/reporting',
    );
  });

  it('a named port the destination lacks, the same pod at both ends and a dead API server are errors', async () => {
    const port = await runCheck(npCheck({ from: { namespace: 'payments', pod: 'frontend' }, to: { namespace: 'payments', pod: 'api' }, port: 'grpc', allowed: true }), cluster());
    expect(port.error).toBe('pod payments/api has no TCP container port named "grpc"');
    const self = await runCheck(npCheck({ from: { namespace: 'payments', pod: 'api' }, to: { namespace: 'payments', pod: 'api' }, port: 80, allowed: true }), cluster());
    expect(self.error).toBe('from and to name only the same pod (payments/api)');
    const down = await runCheck(npCheck({ from: { namespace: 'payments', pod: 'frontend' }, to: { namespace: 'payments', pod: 'api' }, port: 80, allowed: true }), cluster([], true));
    expect(down.passed).toBe(false);
    expect(down.error).toMatch(/the API server did not answer/);
  });

  it('namespace defaults to default', async () => {
    const inDefault = [
      { kind: 'Namespace', metadata: { name: 'default' } },
      { kind: 'Pod', ...pod('default', 'a', { x: '1' }, '10.244.0.2') },
      { kind: 'Pod', ...pod('default', 'b', { x: '2' }, '10.244.0.3') },
    ];
    const r = await runCheck(npCheck({ from: { pod: 'a' }, to: { pod: 'b' }, port: 80, allowed: true }), createRecordedView({ objects: inDefault }));
    expect(r).toMatchObject({ passed: true, expected: 'a → b:80/TCP allowed' });
  });
});

// ---- the scenario format ---------------------------------------------------------------

describe('networkPolicy in scenario files', () => {
  const scenario = (checkYaml: string) => `
id: np
title: np
domain: services-networking
difficulty: easy
minutes: 5
summary: np
task: np
solution:
  - wait:
      for:
        networkPolicy: {from: {namespace: payments, pod: frontend}, to: {namespace: payments, pod: api}, port: 80, allowed: true}
checks:
  - id: c
    description: c
    points: 1
${checkYaml
  .split('\n')
  .map((l) => '    ' + l)
  .join('\n')}
`;
  const errors = (checkYaml: string) => parseScenario(scenario(checkYaml), 'np.yaml').errors.map((e) => e.message);

  it('accepts the documented forms (also as a wait target)', () => {
    expect(errors('networkPolicy:\n  from: {namespace: payments, pod: reporting}\n  to: {namespace: payments, pod: api}\n  port: 80\n  protocol: TCP\n  allowed: false')).toEqual([]);
    expect(errors('networkPolicy:\n  from: {namespace: payments, selector: "role=reporting"}\n  to: {pod: api}\n  port: http\n  allowed: true')).toEqual([]);
  });

  it('rejects bad shapes with located errors', () => {
    expect(errors('networkPolicy: {from: {pod: a}, to: {pod: b}, port: 80}').join('\n')).toMatch(/checks\[0\]\.networkPolicy: missing required field "allowed"/);
    expect(errors('networkPolicy: {from: {pod: a, selector: "x=y"}, to: {pod: b}, port: 80, allowed: true}').join('\n')).toMatch(/checks\[0\]\.networkPolicy\.from: /);
    expect(errors('networkPolicy: {from: {namespace: x}, to: {pod: b}, port: 80, allowed: true}').join('\n')).toMatch(/checks\[0\]\.networkPolicy\.from: /);
    expect(errors('networkPolicy: {from: {pod: a, name: b}, to: {pod: b}, port: 80, allowed: true}').join('\n')).toMatch(/unknown field "name"/);
    expect(errors('networkPolicy: {from: {pod: a}, to: {pod: b}, port: 70000, allowed: true}').join('\n')).toMatch(/port: must be at most 65535/);
    expect(errors('networkPolicy: {from: {pod: a}, to: {pod: b}, port: "80", allowed: true}').join('\n')).toMatch(/port: must match/);
    expect(errors('networkPolicy: {from: {pod: a}, to: {pod: b}, port: 80, protocol: tcp, allowed: true}').join('\n')).toMatch(/protocol: must be one of: TCP, UDP, SCTP/);
  });
});
