import type { ExecResult } from '../clusters/driver.js';
import type { Check } from '../server/scenarios/types.js';
import type { PlaceholderVars } from '../server/steps/placeholders.js';

/**
 * What a check may ask of a live cluster. The engine implements it on a
 * real cluster (kubectl inside the control-plane node); unit tests implement
 * it on recorded cluster JSON.
 */
export interface ClusterView {
  /** kubectl get ... -o json, parsed. Returns null when the object does not exist. */
  getJson(args: string[]): Promise<unknown | null>;
  /** Runs a bash script on a node (by alias), script on stdin. */
  runOnNode(alias: string, script: string, timeoutMs?: number): Promise<ExecResult>;
  /** Real node name for an alias (throws for an alias the cluster does not have). */
  nodeName(alias: string): string;
  /** Values for {{cluster}} and {{nodes.<alias>}} in checks. */
  placeholders(): PlaceholderVars;
}

export interface CheckResult {
  id: string;
  description: string;
  points: number; // points awarded (0 or max)
  maxPoints: number;
  passed: boolean;
  /** What was expected and what was found, in words a learner understands. */
  expected?: string;
  actual?: string;
  explain?: string;
  error?: string; // the check itself could not run
}

export interface GradeReport {
  scenarioId: string;
  score: number;
  maxScore: number;
  percent: number;
  checks: CheckResult[];
  gradedAt: string;
  durationMs: number;
}

export type CheckRunner = (check: Check, view: ClusterView) => Promise<CheckResult>;
