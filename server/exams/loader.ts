/**
 * Loads mock exams (exams/*.yaml): YAML → AJV (exams/exam.schema.json, the
 * same error style as scenarios: file:line:column field: message) → checks
 * against the loaded scenarios:
 *
 *  - every task names a declared cluster and a known scenario;
 *  - a cluster has enough workers for every task on it (default: the most
 *    any of its tasks needs) and its tasks agree on the Kubernetes version;
 *  - tasks that share a cluster must not collide (docs/exam-format.md):
 *    a "disruptive" task — one whose faults work on a node (run, systemd,
 *    writeFile, editFile, editYaml, node steps), change kube-system, or
 *    need an upgrade target — must have its cluster to itself, and two
 *    tasks on one cluster must not touch the same Kubernetes object or
 *    namespace in their setup or faults, nor be the same scenario.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadAll, load as loadYaml, YAMLException } from 'js-yaml';
import { LineCounter, parseDocument } from 'yaml';
import type { ValidateFunction } from 'ajv';
import { compileSchema, formatPath, locatePath, ScenarioError, validateAgainst, type PathSegment } from '../scenarios/schema.js';
import type { Scenario, Step } from '../scenarios/types.js';
import type { ExamDef } from './types.js';

export const EXAM_SCHEMA_PATH = fileURLToPath(new URL('../../exams/exam.schema.json', import.meta.url));
export const DEFAULT_EXAMS_DIR = path.dirname(EXAM_SCHEMA_PATH);

let compiled: ValidateFunction | undefined;
function validator(): ValidateFunction {
  compiled ??= compileSchema(JSON.parse(readFileSync(EXAM_SCHEMA_PATH, 'utf8')));
  return compiled;
}

function displayName(file: string): string {
  const rel = path.relative(process.cwd(), file);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : file;
}

/** Parses and validates one exam. `scenarios` (by id) enables the cross-checks; omit it to check the shape only. */
export function parseExam(text: string, file: string, scenarios?: Map<string, Scenario>): { exam?: ExamDef; errors: ScenarioError[] } {
  const name = displayName(file);
  let data: unknown;
  try {
    data = loadYaml(text, { filename: name });
  } catch (e) {
    if (e instanceof YAMLException)
      return { errors: [new ScenarioError(name, '', `YAML syntax error: ${e.reason}`, e.mark ? e.mark.line + 1 : 0, e.mark ? e.mark.column + 1 : 0)] };
    return { errors: [new ScenarioError(name, '', `YAML syntax error: ${(e as Error).message}`)] };
  }
  if (data === undefined || data === null) return { errors: [new ScenarioError(name, '', 'file is empty', 1, 1)] };
  if (typeof data !== 'object' || Array.isArray(data))
    return { errors: [new ScenarioError(name, '', 'an exam file must be a map of fields (id, title, clusters, tasks, ...)', 1, 1)] };
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: false });
  const errors = validateAgainst(validator(), name, data, doc, lineCounter);
  if (errors.length) return { errors };
  const exam = data as ExamDef;
  const at = (segments: PathSegment[], message: string) => {
    const pos = locatePath(doc, lineCounter, segments);
    return new ScenarioError(name, formatPath(segments), message, pos.line, pos.column);
  };
  errors.push(...crossChecks(exam, scenarios, at));
  if (errors.length) return { errors };
  exam.source = path.resolve(file);
  return { exam, errors: [] };
}

export class ExamLoadError extends Error {
  constructor(readonly errors: ScenarioError[]) {
    super(errors.map((e) => e.message).join('\n'));
    this.name = 'ExamLoadError';
  }
}

export function loadExamFile(file: string, scenarios?: Map<string, Scenario>): ExamDef {
  const { exam, errors } = parseExam(readFileSync(file, 'utf8'), file, scenarios);
  if (!exam) throw new ExamLoadError(errors);
  return exam;
}

/** Loads every *.yaml in a folder; a bad file does not hide the good ones. Ids must be unique. */
export function loadExams(dir: string, scenarios?: Map<string, Scenario>): { exams: ExamDef[]; errors: ScenarioError[] } {
  const abs = path.resolve(dir);
  const errors: ScenarioError[] = [];
  let files: string[];
  try {
    if (!statSync(abs).isDirectory()) throw new Error('not a directory');
    files = readdirSync(abs)
      .filter((f) => (f.endsWith('.yaml') || f.endsWith('.yml')) && !f.startsWith('.') && !f.startsWith('_'))
      .sort();
  } catch (e) {
    return { exams: [], errors: [new ScenarioError(displayName(abs), '', `cannot read exams folder: ${(e as Error).message}`)] };
  }
  const exams: ExamDef[] = [];
  const seen = new Map<string, string>();
  for (const f of files) {
    const file = path.join(abs, f);
    const r = parseExam(readFileSync(file, 'utf8'), file, scenarios);
    if (!r.exam) {
      errors.push(...r.errors);
      continue;
    }
    const earlier = seen.get(r.exam.id);
    if (earlier) {
      errors.push(new ScenarioError(displayName(file), 'id', `duplicate exam id "${r.exam.id}" (also in ${earlier})`));
      continue;
    }
    seen.set(r.exam.id, displayName(file));
    exams.push(r.exam);
  }
  return { exams, errors };
}

// ---- cross-checks --------------------------------------------------------------------

type At = (segments: PathSegment[], message: string) => ScenarioError;

const NODE_STEP_KINDS = ['run', 'systemd', 'writeFile', 'editFile', 'editYaml', 'node'] as const;

/** What a scenario's setup and faults touch on a shared cluster. */
export interface Footprint {
  /** Why the task needs its cluster alone; undefined when it can share. */
  disruptive?: string;
  /** "Kind/namespace/name" of objects touched, and "ns/<name>" for namespaces used. */
  objects: Set<string>;
}

const CLUSTER_SCOPED = new Set(['namespace', 'node', 'storageclass', 'persistentvolume', 'clusterrole', 'clusterrolebinding', 'customresourcedefinition', 'priorityclass', 'ingressclass', 'validatingwebhookconfiguration', 'mutatingwebhookconfiguration', 'csidriver', 'volumeattachment']);

function objectKeys(kind: string, name: string | undefined, namespace: string | undefined): string[] {
  const l = kind.toLowerCase();
  const k = l.endsWith('sses') ? l.slice(0, -2) : l.endsWith('ies') ? `${l.slice(0, -3)}y` : l.endsWith('s') && !l.endsWith('ss') ? l.slice(0, -1) : l;
  if (k === 'namespace') return name ? [`ns/${name}`] : [];
  if (CLUSTER_SCOPED.has(k)) return [`${k}/${name ?? '*'}`];
  const ns = namespace ?? 'default';
  return [`${k}/${ns}/${name ?? '*'}`, ...(ns === 'default' ? [] : [`ns/${ns}`])];
}

export function footprint(s: Scenario): Footprint {
  const objects = new Set<string>();
  let disruptive: string | undefined;
  if (s.cluster.upgradeTarget) disruptive = 'it upgrades the cluster';
  const visit = (steps: Step[], isFault: boolean) => {
    for (const step of steps) {
      const st = step as unknown as Record<string, Record<string, unknown>>;
      if (isFault && !disruptive) {
        const kind = NODE_STEP_KINDS.find((k) => k in st);
        if (kind) disruptive = `its faults work on a node (${kind})`;
      }
      const touched: string[] = [];
      if (st.apply && typeof st.apply.manifest === 'string') {
        try {
          for (const d of loadAll(st.apply.manifest.replace(/\{\{[^{}]*\}\}/g, 'placeholder')) as Array<Record<string, any> | null>) {
            if (d && typeof d.kind === 'string') touched.push(...objectKeys(d.kind, d.metadata?.name, d.metadata?.namespace));
          }
        } catch {
          /* unparsable manifests are the scenario loader's business */
        }
      }
      for (const k of ['delete', 'patch'] as const) {
        const o = st[k];
        if (o && typeof o.kind === 'string') touched.push(...objectKeys(o.kind, o.name as string | undefined, o.namespace as string | undefined));
      }
      for (const t of touched) {
        objects.add(t);
        if (isFault && !disruptive && (t.includes('/kube-system/') || t === 'ns/kube-system')) disruptive = 'its faults change kube-system';
      }
    }
  };
  visit(s.setup, false);
  visit(s.faults, true);
  return { disruptive, objects };
}

function crossChecks(exam: ExamDef, scenarios: Map<string, Scenario> | undefined, at: At): ScenarioError[] {
  const errors: ScenarioError[] = [];
  const clusterIdx = new Map<string, number>();
  exam.clusters.forEach((c, i) => {
    if (clusterIdx.has(c.name)) errors.push(at(['clusters', i, 'name'], `duplicate cluster name "${c.name}"`));
    else clusterIdx.set(c.name, i);
  });
  const names = [...clusterIdx.keys()];
  const byCluster = new Map<string, number[]>();
  exam.tasks.forEach((t, i) => {
    if (!clusterIdx.has(t.cluster)) errors.push(at(['tasks', i, 'cluster'], `unknown cluster "${t.cluster}" (the exam's clusters are: ${names.join(', ')})`));
    else byCluster.set(t.cluster, [...(byCluster.get(t.cluster) ?? []), i]);
    if (scenarios && !scenarios.has(t.scenario)) errors.push(at(['tasks', i, 'scenario'], `unknown scenario "${t.scenario}" (not in any loaded pack)`));
  });
  exam.clusters.forEach((c, i) => {
    if (!byCluster.has(c.name)) errors.push(at(['clusters', i, 'name'], `cluster "${c.name}" has no task: remove it or give it one`));
  });
  if (errors.length || !scenarios) {
    // Without scenarios, fill workers so the exam is still usable for shape-only checks.
    for (const c of exam.clusters) c.workers ??= 1;
    return errors;
  }

  for (const [cname, idxs] of byCluster) {
    const ci = clusterIdx.get(cname)!;
    const cluster = exam.clusters[ci]!;
    const need = Math.max(...idxs.map((i) => scenarios.get(exam.tasks[i]!.scenario)!.cluster.workers));
    if (cluster.workers === undefined) cluster.workers = need;
    for (const i of idxs) {
      const s = scenarios.get(exam.tasks[i]!.scenario)!;
      if (s.cluster.workers > cluster.workers)
        errors.push(at(['tasks', i, 'scenario'], `scenario "${s.id}" needs ${s.cluster.workers} worker(s) but cluster "${cname}" has ${cluster.workers}`));
    }
    const versions = new Set(idxs.map((i) => scenarios.get(exam.tasks[i]!.scenario)!.cluster.kubernetesVersion).filter(Boolean));
    if (versions.size > 1) errors.push(at(['clusters', ci], `tasks on cluster "${cname}" need different Kubernetes versions (${[...versions].join(', ')})`));
    if (idxs.length < 2) continue;
    const prints = idxs.map((i) => ({ i, s: scenarios.get(exam.tasks[i]!.scenario)!, f: footprint(scenarios.get(exam.tasks[i]!.scenario)!) }));
    for (const p of prints) {
      if (p.f.disruptive)
        errors.push(
          at(['tasks', p.i, 'cluster'], `scenario "${p.s.id}" must have its cluster to itself (${p.f.disruptive}), but cluster "${cname}" has ${idxs.length} tasks`),
        );
    }
    for (let a = 0; a < prints.length; a++) {
      for (let b = a + 1; b < prints.length; b++) {
        const A = prints[a]!;
        const B = prints[b]!;
        if (A.s.id === B.s.id) {
          errors.push(at(['tasks', B.i, 'scenario'], `scenario "${B.s.id}" appears twice on cluster "${cname}" (also tasks[${A.i}])`));
          continue;
        }
        const shared = [...A.f.objects].filter((o) => B.f.objects.has(o) || (o.endsWith('/*') && [...B.f.objects].some((x) => x.startsWith(o.slice(0, -1)))));
        if (shared.length)
          errors.push(
            at(['tasks', B.i, 'scenario'], `scenario "${B.s.id}" collides with tasks[${A.i}] ("${A.s.id}") on cluster "${cname}": both touch ${shared.slice(0, 3).join(', ')}`),
          );
      }
    }
  }
  return errors;
}
