/**
 * JSON Schema validation of scenario documents, with errors that point at a
 * file:line:column and a readable field path.
 *
 * The schema itself is the published file scenarios/scenario.schema.json —
 * the same file the YAML language server uses — so editor and loader can
 * never disagree.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { isMap, isPair, isScalar, isSeq, LineCounter, type Document, type Node as YamlNode } from 'yaml';
import { CHECK_KINDS } from '../../graders/index.js';
import { STEP_KINDS } from '../steps/index.js';

export const SCHEMA_PATH = fileURLToPath(new URL('../../scenarios/scenario.schema.json', import.meta.url));

/** One problem in a scenario file, located as precisely as we can. */
export class ScenarioError extends Error {
  constructor(
    readonly file: string,
    /** Field path in learner-readable form, e.g. checks[2].points ("" = whole document). */
    readonly path: string,
    readonly detail: string,
    /** 1-based; 0 when unknown. */
    readonly line = 0,
    readonly column = 0,
  ) {
    super(formatLocation(file, line, column) + (path ? `${path}: ` : '') + detail);
    this.name = 'ScenarioError';
  }
}

function formatLocation(file: string, line: number, column: number): string {
  if (!line) return `${file}: `;
  return column ? `${file}:${line}:${column}: ` : `${file}:${line}: `;
}

export type PathSegment = string | number;

/** ["checks", 2, "points"] -> "checks[2].points" */
export function formatPath(segments: PathSegment[]): string {
  let out = '';
  for (const seg of segments) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(seg)) out += out ? `.${seg}` : seg;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

/** AJV instancePath "/checks/2/points" -> ["checks", 2, "points"] */
function parseInstancePath(instancePath: string, root: unknown): PathSegment[] {
  if (!instancePath) return [];
  const segments: PathSegment[] = [];
  let cursor: unknown = root;
  for (const raw of instancePath.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    const seg: PathSegment = Array.isArray(cursor) && /^\d+$/.test(key) ? Number(key) : key;
    segments.push(seg);
    cursor = cursor && typeof cursor === 'object' ? (cursor as Record<string, unknown>)[key] : undefined;
  }
  return segments;
}

/**
 * Finds the source position of a path in a YAML document (from the `yaml`
 * package, parsed with a LineCounter). When `key` is set, points at that
 * key of the map at `segments` (for unknown-field errors). Falls back to the
 * closest existing parent.
 */
export function locatePath(
  doc: Document,
  lineCounter: LineCounter,
  segments: PathSegment[],
  key?: string,
): { line: number; column: number } {
  let node: unknown = doc.contents;
  let best: unknown = doc.contents;
  for (const seg of segments) {
    const next = childOf(node, seg);
    if (next === undefined) break;
    node = next;
    best = next;
  }
  if (key !== undefined && isMap(best)) {
    const pair = best.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === key);
    if (pair && isScalar(pair.key) && pair.key.range) return toPos(lineCounter, pair.key.range[0]);
  }
  const range = (best as YamlNode | null)?.range;
  if (range) return toPos(lineCounter, range[0]);
  return { line: 1, column: 1 };
}

function childOf(node: unknown, seg: PathSegment): unknown {
  if (isMap(node)) {
    const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
    return pair ? (pair.value ?? pair.key) : undefined;
  }
  if (isSeq(node) && typeof seg === 'number') return node.items[seg];
  return undefined;
}

function toPos(lc: LineCounter, offset: number) {
  const { line, col } = lc.linePos(offset);
  return { line, column: col };
}


let compiled: ValidateFunction | undefined;

function validator(): ValidateFunction {
  if (compiled) return compiled;
  const schema = JSON.parse(readFileSync(SCHEMA_PATH, 'utf8'));
  // useDefaults fills cluster.workers, setup, faults, hints from the schema's defaults.
  const ajv = new Ajv({ allErrors: true, verbose: true, useDefaults: true, strict: false });
  const addFormats = addFormatsModule as unknown as (a: Ajv) => void;
  addFormats(ajv);
  compiled = ajv.compile(schema);
  return compiled;
}

/** What a segment path is: a step, a check, a wait target, or something else. */
function containerKind(segments: PathSegment[]): 'step' | 'check' | 'waitFor' | 'other' {
  const n = segments.length;
  if (n >= 2 && ['setup', 'faults', 'solution'].includes(String(segments[0])) && n === 2) return 'step';
  if (n === 4 && segments[0] === 'alternativeSolutions' && segments[2] === 'steps') return 'step';
  if (n === 2 && segments[0] === 'checks') return 'check';
  if (n >= 2 && segments[n - 1] === 'for' && segments[n - 2] === 'wait') return 'waitFor';
  return 'other';
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a map';
  const text = JSON.stringify(value);
  return text.length > 60 ? text.slice(0, 57) + '...' : text;
}

const TYPE_WORDS: Record<string, string> = {
  number: 'a number',
  integer: 'an integer',
  string: 'a string',
  boolean: 'true or false',
  object: 'a map',
  array: 'a list',
  null: 'null',
};

function typeWords(type: unknown): string {
  const list = Array.isArray(type) ? type : [type];
  return list.map((t) => TYPE_WORDS[String(t)] ?? String(t)).join(' or ');
}

/**
 * Validates a parsed scenario (mutating it: defaults are filled) and returns
 * located errors. `doc`/`lineCounter` come from the `yaml` package parse of
 * the same text and serve only to find lines.
 */
export function validateScenarioData(
  file: string,
  data: unknown,
  doc: Document,
  lineCounter: LineCounter,
): ScenarioError[] {
  return validateAgainst(validator(), file, data, doc, lineCounter);
}

/** Compiles another Kubedrill JSON Schema (e.g. exams) with the same AJV settings. */
export function compileSchema(schema: object): ValidateFunction {
  const ajv = new Ajv({ allErrors: true, verbose: true, useDefaults: true, strict: false });
  (addFormatsModule as unknown as (a: Ajv) => void)(ajv);
  return ajv.compile(schema);
}

/** Runs a compiled schema and returns located, learner-readable errors (defaults are filled in `data`). */
export function validateAgainst(
  validate: ValidateFunction,
  file: string,
  data: unknown,
  doc: Document,
  lineCounter: LineCounter,
): ScenarioError[] {
  if (validate(data)) return [];
  const errors = (validate.errors ?? []) as ErrorObject[];

  // Paths that already got a precise error (unknown key, missing field): the
  // generic "exactly one kind" oneOf error there would only add noise.
  // Errors inside a oneOf/anyOf branch (required: [kind]) are internal to
  // the "exactly one kind" rule and not useful on their own.
  const useful = errors.filter((e) => !/\/(oneOf|anyOf)\/\d+\/required$/.test(e.schemaPath));
  const precise = new Set<string>();
  for (const e of useful) {
    if (e.keyword === 'additionalProperties' || e.keyword === 'required') precise.add(e.instancePath);
  }

  const out: ScenarioError[] = [];
  const seen = new Set<string>();
  for (const e of useful) {
    const segments = parseInstancePath(e.instancePath, data);
    let message: string;
    let pathSegments = segments;
    let key: string | undefined;
    const kind = containerKind(segments);
    switch (e.keyword) {
      case 'type':
        message = `must be ${typeWords(e.params.type)} (got ${describeValue(e.data)})`;
        break;
      case 'required': {
        const missing = String(e.params.missingProperty);
        message = `missing required field "${missing}"`;
        break;
      }
      case 'additionalProperties': {
        key = String(e.params.additionalProperty);
        pathSegments = [...segments, key];
        if (kind === 'step') message = `unknown step kind or field "${key}" (step kinds: ${STEP_KINDS.join(', ')}; plus "name")`;
        else if (kind === 'check')
          message = `unknown check kind or field "${key}" (check kinds: ${CHECK_KINDS.join(', ')}; fields: id, description, points, explain, passesBeforeFix)`;
        else if (kind === 'waitFor') message = `unknown check kind "${key}" (check kinds: ${CHECK_KINDS.join(', ')})`;
        else {
          const allowed = Object.keys((e.parentSchema as { properties?: object })?.properties ?? {});
          message = `unknown field "${key}"` + (allowed.length ? ` (expected one of: ${allowed.join(', ')})` : '');
        }
        break;
      }
      case 'oneOf':
        if (precise.has(e.instancePath)) continue;
        if (kind === 'step') message = `a step needs exactly one step kind (${STEP_KINDS.join(', ')})`;
        else if (kind === 'check' || kind === 'waitFor') message = `a check needs exactly one check kind (${CHECK_KINDS.join(', ')})`;
        else message = 'must match exactly one of the allowed shapes';
        break;
      case 'anyOf': {
        const required = ((e.parentSchema as { anyOf?: Array<{ required?: string[] }> })?.anyOf ?? []).flatMap((s) => s.required ?? []);
        message = `needs at least one of: ${required.join(', ')}`;
        break;
      }
      case 'enum':
        message = `must be one of: ${(e.params.allowedValues as unknown[]).map(String).join(', ')} (got ${describeValue(e.data)})`;
        break;
      case 'pattern':
        message =
          (String(segments.at(-1)) === 'node' || String(segments.at(-1)) === 'name') && String(e.params.pattern).includes('control-plane')
            ? `must be a node alias (control-plane, worker, worker2, ...) (got ${describeValue(e.data)})`
            : `must match ${e.params.pattern} (got ${describeValue(e.data)})`;
        break;
      case 'exclusiveMinimum':
        message = `must be greater than ${e.params.limit} (got ${describeValue(e.data)})`;
        break;
      case 'minimum':
        message = `must be at least ${e.params.limit} (got ${describeValue(e.data)})`;
        break;
      case 'maximum':
        message = `must be at most ${e.params.limit} (got ${describeValue(e.data)})`;
        break;
      case 'minItems':
        message = `must have at least ${e.params.limit} item(s)`;
        break;
      case 'minLength':
        message = e.params.limit === 1 ? 'must not be empty' : `must be at least ${e.params.limit} characters`;
        break;
      default:
        message = e.message ?? `failed ${e.keyword}`;
    }
    const pos = locatePath(doc, lineCounter, segments, key);
    const err = new ScenarioError(file, formatPath(pathSegments), message, pos.line, pos.column);
    if (seen.has(err.message)) continue;
    seen.add(err.message);
    out.push(err);
  }
  return out;
}
