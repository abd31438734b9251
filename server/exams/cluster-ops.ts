/**
 * What an exam needs from clusters, and its real implementation on top of
 * the engine's lifecycle actions (lifecycle.ts): the same bring-up sequence
 * as a session, except that the injecting actions (setup + faults) run once
 * per task, in task order, on the shared cluster. Tests swap in a fake.
 */
import { nodeImageForScenario } from '../engine/node-image.js';
import type { ClusterDriver, ClusterNode } from '../../clusters/driver.js';
import type { ClusterIdentity } from '../../graders/index.js';
import type { GradeReport } from '../../graders/types.js';
import { BRING_UP, gradeCluster, teardown, type LifecycleContext } from '../engine/lifecycle.js';
import type { Stage } from '../engine/types.js';
import type { Scenario } from '../scenarios/types.js';

export interface ExamClusterSpec {
  /** The kind cluster name (kd-…). */
  kindName: string;
  workers: number;
  /** The scenarios of the tasks on this cluster, in task order. */
  scenarios: Scenario[];
}

export interface BroughtUp {
  nodes: ClusterNode[];
  identity?: ClusterIdentity;
}

export interface ExamClusterOps {
  bringUp(spec: ExamClusterSpec, log: (line: string) => void, stage: (s: Stage) => void, signal: AbortSignal): Promise<BroughtUp>;
  grade(spec: { kindName: string; nodes: ClusterNode[]; identity?: ClusterIdentity }, scenario: Scenario): Promise<GradeReport>;
  shell(node: string): { file: string; args: string[] };
  exists(kindName: string): Promise<boolean>;
  delete(kindName: string): Promise<void>;
}

/** The cluster-level scenario used to provision: workers and images for all its tasks. */
export function clusterScenario(spec: ExamClusterSpec): Scenario {
  const first = spec.scenarios[0]!;
  const images = [...new Set(spec.scenarios.flatMap((s) => s.cluster.images ?? []))];
  return {
    ...first,
    id: `exam-cluster-${spec.kindName}`,
    cluster: { ...first.cluster, workers: spec.workers, images, upgradeTarget: spec.scenarios.some((s) => s.cluster.upgradeTarget) },
    setup: [],
    faults: [],
    checks: [],
  };
}

export function lifecycleOps(driver: ClusterDriver, nodeImage: string): ExamClusterOps {
  const ctxFor = (kindName: string, scenario: Scenario, nodes: ClusterNode[], log: (l: string) => void, stage: (s: Stage) => void, signal?: AbortSignal): LifecycleContext => ({
    driver,
    scenario,
    cluster: kindName,
    nodeImage,
    nodes,
    log,
    stage,
    signal,
  });
  return {
    async bringUp(spec, log, stage, signal) {
      const ctx = ctxFor(spec.kindName, clusterScenario(spec), [], log, stage, signal);
      // Tasks on one cluster agree on the Kubernetes version (checked at load).
      ctx.nodeImage = await nodeImageForScenario(driver, ctx.scenario, nodeImage);
      const run = async (s: Stage, what: string, action: (c: LifecycleContext) => Promise<void>, c: LifecycleContext) => {
        if (signal.aborted) throw new Error('cancelled');
        stage(s);
        const t0 = Date.now();
        await action(c);
        log(`✓ ${what} (${((Date.now() - t0) / 1000).toFixed(1)}s)`);
      };
      for (const [s, what, action] of BRING_UP) if (s !== 'injecting') await run(s, what, action, ctx);
      for (const scenario of spec.scenarios) {
        const taskCtx = { ...ctx, scenario };
        for (const [s, what, action] of BRING_UP) if (s === 'injecting') await run(s, `${scenario.id}: ${what}`, action, taskCtx);
      }
      return { nodes: ctx.nodes, identity: ctx.identity };
    },
    grade(spec, scenario) {
      const ctx = ctxFor(spec.kindName, scenario, spec.nodes, () => {}, () => {});
      ctx.identity = spec.identity;
      return gradeCluster(ctx);
    },
    shell(node) {
      return driver.interactiveShell(node);
    },
    async exists(kindName) {
      return (await driver.list()).includes(kindName);
    },
    delete(kindName) {
      return teardown({ driver, cluster: kindName, log: () => {} });
    },
  };
}
