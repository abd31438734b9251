/**
 * A fake cluster layer for mock exams (HTTP, browser and restart tests, UI
 * work): clusters "come up" on timers, shells are a local `bash --norc -i`,
 * and grading reads a marker file per task the learner writes in the
 * terminal:
 *
 *   echo all > /tmp/kubedrill-fake-exam-<kind cluster>-<scenario id>      every check passes
 *   echo <check-id> >> /tmp/kubedrill-fake-exam-<kind cluster>-<scenario id>   that check passes
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import type { ClusterNode } from '../clusters/driver.js';
import type { GradeReport } from '../graders/types.js';
import type { ExamClusterOps } from '../server/exams/cluster-ops.js';
import type { Scenario } from '../server/scenarios/types.js';

export function examMarker(kindName: string, scenarioId: string): string {
  return `/tmp/kubedrill-fake-exam-${kindName}-${scenarioId}`;
}

export interface FakeExamOps extends ExamClusterOps {
  readonly clusters: Set<string>;
  readonly created: string[];
  readonly deleted: string[];
  /** Max clusters being brought up at once (concurrency check). */
  maxParallel: number;
}

export function fakeExamOps(o: { stepMs?: number; fail?: string } = {}): FakeExamOps {
  const stepMs = o.stepMs ?? 50;
  const sleep = (ms: number, signal?: AbortSignal) =>
    new Promise<void>((resolve, reject) => {
      const t = setTimeout(resolve, ms);
      signal?.addEventListener('abort', () => {
        clearTimeout(t);
        reject(new Error('cancelled'));
      });
    });
  let inFlight = 0;
  const ops: FakeExamOps = {
    clusters: new Set(),
    created: [],
    deleted: [],
    maxParallel: 0,
    async bringUp(spec, log, stage, signal) {
      inFlight++;
      ops.maxParallel = Math.max(ops.maxParallel, inFlight);
      try {
        stage('provisioning');
        log(`Creating cluster "${spec.kindName}" ...`);
        ops.clusters.add(spec.kindName);
        ops.created.push(spec.kindName);
        await sleep(stepMs, signal);
        log(' ✓ Starting control-plane 🕹️');
        await sleep(stepMs, signal);
        if (o.fail && spec.kindName.endsWith(`-${o.fail}`)) throw new Error(`kind create cluster failed for ${spec.kindName} (fake)`);
        stage('preparing');
        await sleep(stepMs, signal);
        for (const s of spec.scenarios) {
          stage('injecting');
          log(`${s.id}: apply the scenario setup`);
          rmSync(examMarker(spec.kindName, s.id), { force: true });
          await sleep(stepMs, signal);
        }
        const nodes: ClusterNode[] = [{ name: `${spec.kindName}-control-plane`, role: 'control-plane', alias: 'control-plane' }];
        for (let i = 1; i <= spec.workers; i++) nodes.push({ name: `${spec.kindName}-worker${i > 1 ? i : ''}`, role: 'worker', alias: `worker${i > 1 ? i : ''}` });
        return { nodes };
      } finally {
        inFlight--;
      }
    },
    async grade(spec, scenario: Scenario): Promise<GradeReport> {
      const p = examMarker(spec.kindName, scenario.id);
      const lines = existsSync(p) ? readFileSync(p, 'utf8').split('\n').map((l) => l.trim()) : [];
      const checks = scenario.checks.map((c) => {
        const passed = lines.includes('all') || lines.includes(c.id);
        return {
          id: c.id,
          description: c.description.replace(/\{\{\s*nodes\.([a-z0-9-]+)\s*\}\}/g, (_m, a: string) => `${spec.kindName}-${a}`).replace(/\{\{\s*cluster\s*\}\}/g, spec.kindName),
          points: passed ? c.points : 0,
          maxPoints: c.points,
          passed,
          expected: passed ? undefined : `marker ${p} lists "${c.id}" (fake cluster)`,
          actual: passed ? undefined : existsSync(p) ? `marker has ${JSON.stringify(lines.filter(Boolean))}` : 'no marker file',
          explain: passed ? undefined : c.explain,
        };
      });
      const score = checks.reduce((s, c) => s + c.points, 0);
      const maxScore = checks.reduce((s, c) => s + c.maxPoints, 0);
      return { scenarioId: scenario.id, score, maxScore, percent: maxScore ? Math.round((score / maxScore) * 1000) / 10 : 0, checks, gradedAt: new Date().toISOString(), durationMs: 1 };
    },
    shell() {
      return { file: 'bash', args: ['--norc', '-i'] };
    },
    async exists(kindName) {
      return ops.clusters.has(kindName);
    },
    async delete(kindName) {
      ops.clusters.delete(kindName);
      ops.deleted.push(kindName);
    },
  };
  return ops;
}
