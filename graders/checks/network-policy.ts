/**
 * networkPolicy check: do the cluster's NetworkPolicies allow a connection
 * from one pod to another, as an enforcing network plugin would decide it by
 * the networking.k8s.io/v1 semantics? Our offline clusters' CNI does not
 * enforce policies, so this grades the policy objects by their meaning, not
 * by their spelling (matchExpressions vs matchLabels, named ports, a
 * namespaceSelector on kubernetes.io/metadata.name, ... all count).
 *
 * evaluateConnection is pure (plain JSON in, verdict out); runNetworkPolicyCheck
 * reads pods, namespaces and policies through the ClusterView.
 */
import { BlockList, isIP } from 'node:net';
import type { Check, NetworkPolicyCheck, NetworkPolicyEndpoint } from '../../server/scenarios/types.js';
import type { CheckResult, ClusterView } from '../types.js';
import { errorResult, explainApiError, makeResult } from '../util.js';

// ---- the slice of the Kubernetes objects we read ----------------------------

export interface LabelSelectorRequirement {
  key: string;
  operator: string; // In | NotIn | Exists | DoesNotExist
  values?: string[];
}
export interface LabelSelector {
  matchLabels?: Record<string, string> | null;
  matchExpressions?: LabelSelectorRequirement[] | null;
}
interface Meta {
  name?: string;
  namespace?: string;
  labels?: Record<string, string> | null;
}
export interface ContainerPortJson {
  name?: string;
  containerPort?: number;
  protocol?: string;
}
interface ContainerJson {
  name?: string;
  ports?: ContainerPortJson[] | null;
  restartPolicy?: string;
}
export interface PodJson {
  metadata?: Meta;
  spec?: { containers?: ContainerJson[] | null; initContainers?: ContainerJson[] | null; hostNetwork?: boolean };
  status?: { phase?: string; podIP?: string; podIPs?: Array<{ ip?: string }> | null };
}
export interface NamespaceJson {
  metadata?: Meta;
}
export interface NetworkPolicyPeerJson {
  podSelector?: LabelSelector | null;
  namespaceSelector?: LabelSelector | null;
  ipBlock?: { cidr?: string; except?: string[] | null } | null;
}
export interface NetworkPolicyPortJson {
  protocol?: string;
  port?: number | string | null;
  endPort?: number | null;
}
export interface NetworkPolicyJson {
  metadata?: Meta;
  spec?: {
    podSelector?: LabelSelector | null;
    policyTypes?: string[] | null;
    ingress?: Array<{ from?: NetworkPolicyPeerJson[] | null; ports?: NetworkPolicyPortJson[] | null }> | null;
    egress?: Array<{ to?: NetworkPolicyPeerJson[] | null; ports?: NetworkPolicyPortJson[] | null }> | null;
  };
}

// ---- label selectors ---------------------------------------------------------

/**
 * metav1.LabelSelector semantics: matchLabels and matchExpressions are ANDed;
 * an empty selector matches everything. NotIn and DoesNotExist match objects
 * without the key. An unknown operator matches nothing (the API rejects it).
 */
export function selectorMatches(selector: LabelSelector, labels: Record<string, string> | null | undefined): boolean {
  const have = labels ?? {};
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    if (have[key] !== value) return false;
  }
  for (const req of selector.matchExpressions ?? []) {
    const present = Object.prototype.hasOwnProperty.call(have, req.key);
    const values = req.values ?? [];
    switch (req.operator) {
      case 'In':
        if (!present || !values.includes(have[req.key]!)) return false;
        break;
      case 'NotIn':
        if (present && values.includes(have[req.key]!)) return false;
        break;
      case 'Exists':
        if (!present) return false;
        break;
      case 'DoesNotExist':
        if (present) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

// ---- small helpers -------------------------------------------------------------

export const NETWORK_POLICY_RESOURCE = 'networkpolicy.v1.networking.k8s.io';
const NS_NAME_LABEL = 'kubernetes.io/metadata.name';

const nameOf = (o: { metadata?: Meta } | undefined) => o?.metadata?.name ?? '(unnamed)';
const nsOf = (o: { metadata?: Meta } | undefined) => o?.metadata?.namespace ?? 'default';
export const podKey = (pod: PodJson) => `${nsOf(pod)}/${nameOf(pod)}`;

export function podIPs(pod: PodJson): string[] {
  const ips = (pod.status?.podIPs ?? []).map((p) => p.ip).filter((ip): ip is string => !!ip);
  if (pod.status?.podIP && !ips.includes(pod.status.podIP)) ips.unshift(pod.status.podIP);
  return ips;
}

/** Every container port a pod declares (app containers and sidecars, i.e. restartable init containers). */
function containerPorts(pod: PodJson): ContainerPortJson[] {
  const sidecars = (pod.spec?.initContainers ?? []).filter((c) => c.restartPolicy === 'Always');
  return [...(pod.spec?.containers ?? []), ...sidecars].flatMap((c) => c.ports ?? []);
}

/** The number behind a named container port of `pod` for `protocol`, or undefined. */
export function resolveNamedPort(pod: PodJson, name: string, protocol: string): number | undefined {
  const found = containerPorts(pod).find((p) => p.name === name && (p.protocol ?? 'TCP') === protocol);
  return found?.containerPort;
}

/** policyTypes as the API server defaults them: Ingress always, Egress when there are egress rules. */
export function effectivePolicyTypes(policy: NetworkPolicyJson): string[] {
  const given = policy.spec?.policyTypes;
  if (given && given.length > 0) return given;
  return (policy.spec?.egress ?? []).length > 0 ? ['Ingress', 'Egress'] : ['Ingress'];
}

function inCidr(ip: string, cidr: string): boolean | undefined {
  const slash = cidr.indexOf('/');
  const address = slash >= 0 ? cidr.slice(0, slash) : cidr;
  const family = isIP(address);
  if (family === 0 || family !== isIP(ip)) return family === 0 ? undefined : false;
  const bits = family === 4 ? 32 : 128;
  const prefix = slash >= 0 ? Number(cidr.slice(slash + 1)) : bits;
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > bits) return undefined;
  const list = new BlockList();
  list.addSubnet(address, prefix, family === 4 ? 'ipv4' : 'ipv6');
  return list.check(ip, family === 4 ? 'ipv4' : 'ipv6');
}

/** An ipBlock admits a pod when one of its IPs is inside cidr and outside every except. */
function ipBlockMatches(block: NonNullable<NetworkPolicyPeerJson['ipBlock']>, ips: string[]): boolean {
  if (!block.cidr) return false;
  return ips.some((ip) => inCidr(ip, block.cidr!) === true && !(block.except ?? []).some((ex) => inCidr(ip, ex) === true));
}

// ---- evaluation ------------------------------------------------------------------

export interface ConnectionInput {
  source: PodJson;
  destination: PodJson;
  /** A port number, or the name of a container port of the destination pod. */
  port: number | string;
  /** TCP (default), UDP or SCTP. */
  protocol?: string;
  /** Namespace objects (labels); the kubernetes.io/metadata.name label is implied when missing. */
  namespaces: NamespaceJson[];
  /** NetworkPolicies of (at least) the source's and the destination's namespaces. */
  policies: NetworkPolicyJson[];
}

export interface RuleRef {
  policy: string;
  rule: number;
}

export interface DirectionVerdict {
  direction: 'ingress' | 'egress';
  /** The pod whose isolation decides this direction: the destination for ingress, the source for egress. */
  pod: string;
  /** The other end, "ns/name". */
  peer: string;
  /** Policies that select `pod` and have this direction in policyTypes (empty = not isolated). */
  isolatedBy: string[];
  /** The first rule that admits the connection, when isolated and admitted. */
  allowedBy?: RuleRef;
  /** Rules whose peers admit the other end but whose ports do not admit the port. */
  peerOnly: RuleRef[];
  allowed: boolean;
}

export interface ConnectionVerdict {
  allowed: boolean;
  /** The destination port as a number (named ports resolved). */
  port: number;
  protocol: string;
  ingress: DirectionVerdict;
  egress: DirectionVerdict;
  /** Learner-readable: "allowed: ..." or "denied: ...". */
  reason: string;
}

interface Endpoint {
  pod: PodJson;
  nsLabels: Record<string, string>;
}

function namespaceLabels(namespaces: NamespaceJson[], ns: string): Record<string, string> {
  const found = namespaces.find((n) => n.metadata?.name === ns);
  // The API server sets kubernetes.io/metadata.name on every namespace (immutable).
  return { ...(found?.metadata?.labels ?? {}), [NS_NAME_LABEL]: ns };
}

/**
 * A peer (an element of from/to) admits `other`: ipBlock against its IPs;
 * podSelector alone = pods of the policy's namespace; namespaceSelector alone
 * = every pod of matching namespaces; both = both must hold.
 */
function peerMatches(peer: NetworkPolicyPeerJson, policyNs: string, other: Endpoint): boolean {
  if (peer.ipBlock) return ipBlockMatches(peer.ipBlock, podIPs(other.pod));
  if (!peer.podSelector && !peer.namespaceSelector) return false; // not a valid peer
  const nsOk = peer.namespaceSelector ? selectorMatches(peer.namespaceSelector, other.nsLabels) : nsOf(other.pod) === policyNs;
  const podOk = peer.podSelector ? selectorMatches(peer.podSelector, other.pod.metadata?.labels) : true;
  return nsOk && podOk;
}

/** A ports entry admits the connection: same protocol, and port/range/named port (resolved on the destination) covers it. */
function portMatches(entry: NetworkPolicyPortJson, port: number, protocol: string, destination: PodJson): boolean {
  if ((entry.protocol ?? 'TCP') !== protocol) return false;
  if (entry.port === undefined || entry.port === null) return true;
  if (typeof entry.port === 'string') {
    if (/^\d+$/.test(entry.port)) return Number(entry.port) === port;
    return resolveNamedPort(destination, entry.port, protocol) === port;
  }
  if (typeof entry.endPort === 'number') return port >= entry.port && port <= entry.endPort;
  return port === entry.port;
}

function evaluateDirection(
  direction: 'ingress' | 'egress',
  self: Endpoint,
  other: Endpoint,
  port: number,
  protocol: string,
  destination: PodJson,
  policies: NetworkPolicyJson[],
): DirectionVerdict {
  const policyType = direction === 'ingress' ? 'Ingress' : 'Egress';
  const verdict: DirectionVerdict = { direction, pod: podKey(self.pod), peer: podKey(other.pod), isolatedBy: [], peerOnly: [], allowed: true };
  for (const policy of policies) {
    if (nsOf(policy) !== nsOf(self.pod)) continue;
    if (!selectorMatches(policy.spec?.podSelector ?? {}, self.pod.metadata?.labels)) continue;
    if (!effectivePolicyTypes(policy).includes(policyType)) continue;
    verdict.isolatedBy.push(nameOf(policy));
    const rules = (direction === 'ingress' ? policy.spec?.ingress : policy.spec?.egress) ?? [];
    rules.forEach((rule, i) => {
      const peers = (direction === 'ingress' ? (rule as { from?: NetworkPolicyPeerJson[] | null }).from : (rule as { to?: NetworkPolicyPeerJson[] | null }).to) ?? [];
      const peerOk = peers.length === 0 || peers.some((peer) => peerMatches(peer, nsOf(policy), other));
      if (!peerOk) return;
      const ports = rule.ports ?? [];
      const portOk = ports.length === 0 || ports.some((entry) => portMatches(entry, port, protocol, destination));
      if (portOk) verdict.allowedBy ??= { policy: nameOf(policy), rule: i };
      else verdict.peerOnly.push({ policy: nameOf(policy), rule: i });
    });
  }
  verdict.allowed = verdict.isolatedBy.length === 0 || verdict.allowedBy !== undefined;
  return verdict;
}

function describeAllowed(v: DirectionVerdict): string {
  const word = v.direction === 'ingress' ? `ingress to ${v.pod}` : `egress from ${v.pod}`;
  return `${word} is allowed by policy ${v.allowedBy!.policy} (rule ${v.allowedBy!.rule})`;
}

function describeDenied(v: DirectionVerdict, port: number, protocol: string): string {
  const head = `${v.pod} is isolated for ${v.direction} by ${v.isolatedBy.join(', ')}; `;
  const body = v.direction === 'ingress' ? `no rule admits ${v.peer}` : `no rule lets it reach ${v.peer}`;
  const near = v.peerOnly.length
    ? ` (${v.peerOnly.map((r) => `${r.policy} rule ${r.rule}`).join(', ')} ${v.peerOnly.length > 1 ? 'match' : 'matches'} ${
        v.direction === 'ingress' ? 'the source' : 'the destination'
      }, but not ${port}/${protocol})`
    : '';
  return head + body + near;
}

function describeVerdict(ingress: DirectionVerdict, egress: DirectionVerdict, port: number, protocol: string): string {
  if (ingress.allowed && egress.allowed) {
    const parts = [ingress, egress].filter((v) => v.isolatedBy.length > 0).map(describeAllowed);
    if (parts.length === 0) return `allowed: no NetworkPolicy isolates ${ingress.pod} for ingress or ${egress.pod} for egress`;
    return 'allowed: ' + parts.join('; ');
  }
  const parts = [ingress, egress].filter((v) => !v.allowed).map((v) => describeDenied(v, port, protocol));
  return 'denied: ' + parts.join('. Also ');
}

/**
 * Decides whether the policies allow `source` to open a connection to
 * `destination` on `port`/`protocol`: allowed only if egress from the source
 * and ingress to the destination are both allowed. A direction is allowed
 * when no policy isolates the pod for it, or some rule of an isolating
 * policy admits the other end on that port. Throws when a named port does
 * not exist on the destination pod.
 */
export function evaluateConnection(input: ConnectionInput): ConnectionVerdict {
  const protocol = input.protocol ?? 'TCP';
  let port: number;
  if (typeof input.port === 'number') port = input.port;
  else {
    const resolved = resolveNamedPort(input.destination, input.port, protocol);
    if (resolved === undefined) throw new Error(`pod ${podKey(input.destination)} has no ${protocol} container port named "${input.port}"`);
    port = resolved;
  }
  const source: Endpoint = { pod: input.source, nsLabels: namespaceLabels(input.namespaces, nsOf(input.source)) };
  const destination: Endpoint = { pod: input.destination, nsLabels: namespaceLabels(input.namespaces, nsOf(input.destination)) };
  const ingress = evaluateDirection('ingress', destination, source, port, protocol, input.destination, input.policies);
  const egress = evaluateDirection('egress', source, destination, port, protocol, input.destination, input.policies);
  return {
    allowed: ingress.allowed && egress.allowed,
    port,
    protocol,
    ingress,
    egress,
    reason: describeVerdict(ingress, egress, port, protocol),
  };
}

// ---- the check ---------------------------------------------------------------------

function describeEndpoint(end: NetworkPolicyEndpoint, qualify: boolean): string {
  const ns = end.namespace ?? 'default';
  if (end.pod) return qualify ? `${ns}/${end.pod}` : end.pod;
  return `(pods${qualify ? ` in ${ns}` : ''} with ${end.selector})`;
}

function itemsOf(list: unknown): unknown[] {
  const items = (list as { items?: unknown[] } | null)?.items;
  return Array.isArray(items) ? items : [];
}

/** The pods an endpoint names; a string is a learner-readable reason why there are none. */
async function findPods(end: NetworkPolicyEndpoint, view: ClusterView): Promise<PodJson[] | string> {
  const ns = end.namespace ?? 'default';
  if (end.pod) {
    const pod = (await view.getJson(['pods', end.pod, '-n', ns])) as PodJson | null;
    return pod ? [pod] : `pod ${ns}/${end.pod} does not exist`;
  }
  const listed = itemsOf(await view.getJson(['pods', '-n', ns, '-l', end.selector ?? ''])) as PodJson[];
  // Finished pods (a Job's, say) have no traffic to police.
  const pods = listed.filter((p) => !['Succeeded', 'Failed'].includes(p.status?.phase ?? ''));
  if (pods.length) return pods;
  return listed.length ? `every pod in namespace ${ns} matching ${end.selector} has finished` : `no pod in namespace ${ns} matches ${end.selector}`;
}

export async function runNetworkPolicyCheck(check: Check & NetworkPolicyCheck, view: ClusterView): Promise<CheckResult> {
  const spec = check.networkPolicy;
  const protocol = spec.protocol ?? 'TCP';
  const fromNs = spec.from.namespace ?? 'default';
  const toNs = spec.to.namespace ?? 'default';
  const qualify = fromNs !== toNs;
  const expected = `${describeEndpoint(spec.from, qualify)} → ${describeEndpoint(spec.to, qualify)}:${spec.port}/${protocol} ${
    spec.allowed ? 'allowed' : 'denied'
  }`;

  const namespaces = [...new Set([fromNs, toNs])];
  let sources: PodJson[] | string;
  let destinations: PodJson[] | string;
  let nsObjects: NamespaceJson[];
  let policies: NetworkPolicyJson[];
  try {
    [sources, destinations] = await Promise.all([findPods(spec.from, view), findPods(spec.to, view)]);
    if (typeof sources === 'string') return errorResult(check, expected, sources);
    if (typeof destinations === 'string') return errorResult(check, expected, destinations);
    const [nsList, policyLists] = await Promise.all([
      Promise.all(namespaces.map((ns) => view.getJson(['namespace', ns]))),
      Promise.all(namespaces.map((ns) => view.getJson([NETWORK_POLICY_RESOURCE, '-n', ns]))),
    ]);
    nsObjects = nsList.filter((n): n is NamespaceJson => n !== null);
    policies = policyLists.flatMap(itemsOf) as NetworkPolicyJson[];
  } catch (e) {
    return errorResult(check, expected, `could not read pods, namespaces or NetworkPolicies: ${explainApiError(e)}`);
  }

  const pairs: Array<{ source: PodJson; destination: PodJson; verdict: ConnectionVerdict }> = [];
  for (const source of sources) {
    for (const destination of destinations) {
      if (podKey(source) === podKey(destination)) continue; // a pod talking to itself is not policed
      try {
        const verdict = evaluateConnection({ source, destination, port: spec.port, protocol, namespaces: nsObjects, policies });
        pairs.push({ source, destination, verdict });
      } catch (e) {
        return errorResult(check, expected, (e as Error).message);
      }
    }
  }
  if (pairs.length === 0) return errorResult(check, expected, `from and to name only the same pod (${podKey(sources[0]!)})`);

  const wrong = pairs.filter((p) => p.verdict.allowed !== spec.allowed);
  if (pairs.length === 1) return makeResult(check, wrong.length === 0, expected, pairs[0]!.verdict.reason);
  const short = (pod: PodJson) => (qualify ? podKey(pod) : nameOf(pod));
  const pairName = (p: (typeof pairs)[number]) => `${short(p.source)} → ${short(p.destination)}`;
  if (wrong.length === 0) {
    const example = pairs[0]!;
    return makeResult(check, true, expected, `all ${pairs.length} pod pairs ${spec.allowed ? 'allowed' : 'denied'} (${pairName(example)}: ${example.verdict.reason})`);
  }
  const first = wrong[0]!;
  return makeResult(
    check,
    false,
    expected,
    `${wrong.length} of ${pairs.length} pod pairs ${spec.allowed ? 'denied' : 'allowed'}; ${pairName(first)}: ${first.verdict.reason}`,
  );
}
