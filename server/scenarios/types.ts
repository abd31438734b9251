/**
 * The scenario model: what a scenario YAML file says once loaded and
 * validated (see scenarios/scenario.schema.json and docs/scenario-format.md).
 * Scenarios are data; every behaviour lives in the step library
 * (server/steps) and the check library (graders/).
 */

export type CkaDomain =
  | 'cluster-architecture' // Cluster Architecture, Installation & Configuration (25%)
  | 'workloads-scheduling' // Workloads & Scheduling (15%)
  | 'services-networking' // Services & Networking (20%)
  | 'storage' // Storage (10%)
  | 'troubleshooting'; // Troubleshooting (30%)

export type Difficulty = 'easy' | 'medium' | 'hard';

/** A node alias as kind suffixes containers: "control-plane", "worker", "worker2", ... */
export type NodeAlias = string;

export interface ClusterRequirements {
  workers: number; // default 1
  kubernetesVersion?: string; // e.g. "v1.34"; the engine picks a matching node image
  upgradeTarget?: boolean; // needs the next version's packages/images in the node
  images?: string[]; // workload images preloaded into every node
}

// ---- steps (setup, faults, solution) -------------------------------------
// Every step is an object with exactly one step-kind key (plus optional
// "name"). Strings may use {{nodes.<alias>}} and {{cluster}} placeholders.

export interface RunStep { run: { node: NodeAlias; script: string; timeoutSeconds?: number } }
export interface ApplyStep { apply: { manifest: string } } // YAML (multi-doc allowed)
export interface DeleteStep { delete: { kind: string; name: string; namespace?: string; wait?: boolean } }
export interface PatchStep {
  patch: { kind: string; name: string; namespace?: string; type?: 'merge' | 'json' | 'strategic'; patch: unknown };
}
export interface SystemdStep {
  systemd: { node: NodeAlias; unit: string; actions: Array<'stop' | 'start' | 'restart' | 'disable' | 'enable' | 'mask' | 'unmask'> };
}
export interface WriteFileStep {
  writeFile: { node: NodeAlias; path: string; content: string; mode?: string };
}
export interface EditFileStep {
  editFile: { node: NodeAlias; path: string; replace: Array<{ from: string; to: string }> };
}
/** Structured edit of a YAML file on a node (e.g. a static pod manifest). */
export interface EditYamlStep {
  editYaml: {
    node: NodeAlias;
    path: string;
    /** Dotted paths with [n] indexes, e.g. spec.containers[0].command[3] */
    set?: Record<string, unknown>;
    /** Replace within string values or list items anywhere under a path */
    replaceIn?: Array<{ path: string; from: string; to: string }>;
    /** A backup is kept outside /etc/kubernetes/manifests (kubelet would run it). */
    backup?: boolean;
  };
}
export interface NodeStep {
  node: {
    name: NodeAlias;
    taints?: Array<{ key: string; value?: string; effect: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute' }>;
    removeTaints?: string[]; // keys
    labels?: Record<string, string | null>; // null removes
    cordon?: boolean;
  };
}
/** Polls a check until it passes. id/description/points are optional here. */
export interface WaitStep {
  wait: { for: CheckKind & { id?: string; description?: string; points?: number }; timeoutSeconds?: number; pollSeconds?: number };
}

export type Step = { name?: string } & (
  | RunStep | ApplyStep | DeleteStep | PatchStep | SystemdStep | WriteFileStep
  | EditFileStep | EditYamlStep | NodeStep | WaitStep
);

// ---- checks (grading) ------------------------------------------------------

export interface ObjectRef {
  apiVersion?: string;
  kind: string; // resource kind or plural accepted by kubectl, e.g. Deployment, pods
  name?: string;
  namespace?: string; // omitted => cluster-scoped or "default" for namespaced kinds via kubectl
  allNamespaces?: boolean;
  selector?: string; // label selector
}

/** Object(s) exist and match a partial object and/or a JMESPath expression. */
export interface ObjectCheck {
  object: ObjectRef & {
    match?: unknown; // partial object: every given field must equal; lists match element-wise by subset
    expr?: string; // JMESPath over the object (or over the list when name is omitted) that must be truthy
    /** When name is omitted: "all" (default) items must match, or "any" one must. */
    quantifier?: 'all' | 'any';
    /** When name is omitted: the number of matching items must be at least this. */
    minCount?: number;
  };
}
/** No object matches (negative check). */
export interface AbsentCheck { absent: ObjectRef & { expr?: string } }
export interface CommandCheck {
  command: { node: NodeAlias; script: string; exitCode?: number; stdoutMatches?: string; stdoutNotMatches?: string };
}
export interface FileCheck {
  file: {
    node: NodeAlias;
    path: string;
    exists?: boolean; // default true
    mode?: string; // e.g. "0600"
    contains?: string; // regex
    yaml?: { path: string; equals?: unknown; matches?: string }; // JMESPath into the parsed YAML/JSON
  };
}
export interface NodeReadyCheck { nodeReady: { node: NodeAlias; ready?: boolean } }
export interface SystemdCheck {
  systemd: { node: NodeAlias; unit: string; active?: boolean; enabled?: boolean };
}
/** An etcd snapshot file is valid (etcdutl snapshot status) and contains a marker key. */
export interface EtcdSnapshotCheck {
  etcdSnapshot: { node: NodeAlias; path: string; containsKey?: string };
}

/** One end of a connection: a pod by name, or every pod matching a label selector. */
export interface NetworkPolicyEndpoint {
  namespace?: string; // default "default"
  pod?: string; // exactly one of pod / selector
  selector?: string; // label selector as kubectl -l takes it, e.g. "role=reporting"
}
/**
 * NetworkPolicies (networking.k8s.io/v1 semantics) allow or deny a
 * connection from one pod to another — decided from the policy objects as an
 * enforcing network plugin would, whatever the CNI does.
 */
export interface NetworkPolicyCheck {
  networkPolicy: {
    from: NetworkPolicyEndpoint;
    to: NetworkPolicyEndpoint;
    port: number | string; // a number, or the name of a container port of the destination pod
    protocol?: 'TCP' | 'UDP' | 'SCTP'; // default TCP
    allowed: boolean; // the expected verdict (with selectors: for every pod pair)
  };
}

export type CheckKind =
  | ObjectCheck | AbsentCheck | CommandCheck | FileCheck | NodeReadyCheck | SystemdCheck | EtcdSnapshotCheck
  | NetworkPolicyCheck;

export type Check = CheckKind & {
  id: string;
  description: string;
  points: number;
  /** Shown on failure: what the learner should look at. */
  explain?: string;
  /** Why this check may already pass before the fix (validate allows it). */
  passesBeforeFix?: string;
};

/** Engine-run anti-cheat guards (graders/guards.ts). */
export interface ScenarioGuards {
  /** Default true. Set false when deleting / re-joining a Node is a valid solution. */
  nodesIntact?: boolean;
}

export interface AlternativeSolution {
  /** Short, unique within the scenario: shown in validate's output ("etcd-restore#1/in-place"). */
  name: string;
  /** What this path does differently from the reference solution. */
  description?: string;
  steps: Step[];
}

export interface Scenario {
  id: string;
  title: string;
  domain: CkaDomain;
  difficulty: Difficulty;
  minutes: number;
  /** Short summary for the list view. */
  summary: string;
  cluster: ClusterRequirements;
  setup: Step[];
  faults: Step[];
  /** Markdown shown to the learner. */
  task: string;
  hints: string[];
  solution: Step[];
  /**
   * Other reasonable ways to solve it. Learners never see them; `validate`
   * runs each on its own fresh cluster and requires 100 %, which proves the
   * checks grade the state, not the reference solution's path.
   */
  alternativeSolutions?: AlternativeSolution[];
  checks: Check[];
  guards?: ScenarioGuards;
  /** Where it was loaded from (absolute path) — filled by the loader. */
  source?: string;
  /** The pack id (folder name) — filled by the loader. */
  pack?: string;
}
