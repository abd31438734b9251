/**
 * Loads scenario files and packs.
 *
 * Pipeline per file: js-yaml parses the data (syntax errors carry a line);
 * AJV validates it against scenarios/scenario.schema.json and fills
 * defaults; semantic checks catch what a JSON Schema cannot (unique ids,
 * node aliases that the cluster will have, valid regexes and JMESPath). The
 * `yaml` package parses the same text a second time only to map field paths
 * to lines.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { load as loadYaml, YAMLException } from 'js-yaml';
import { compile as compileJmespath } from '@jmespath-community/jmespath';
import { LineCounter, parseDocument, type Document } from 'yaml';
import type { Check, Scenario, Step } from './types.js';
import { formatPath, locatePath, ScenarioError, validateScenarioData, type PathSegment } from './schema.js';

export { ScenarioError, formatPath } from './schema.js';

/** Thrown by loadScenarioFile; carries every problem found in the file. */
export class ScenarioLoadError extends Error {
  constructor(readonly errors: ScenarioError[]) {
    super(errors.map((e) => e.message).join('\n'));
    this.name = 'ScenarioLoadError';
  }
}

export interface PackInfo {
  id: string;
  title: string;
  description?: string;
  /** Absolute path of the pack folder. */
  dir: string;
}

export interface LoadedPack {
  pack: PackInfo;
  /** Every scenario that loaded cleanly, sorted by file name. */
  scenarios: Scenario[];
  /** Problems; a bad file does not hide the good ones. */
  errors: ScenarioError[];
}

/** Aliases kind gives nodes: control-plane, worker, worker2, ... */
export function nodeAliases(workers: number): string[] {
  const aliases = ['control-plane'];
  for (let i = 1; i <= workers; i++) aliases.push(i === 1 ? 'worker' : `worker${i}`);
  return aliases;
}

/** A path as shown in messages: relative to the working directory when inside it. */
function displayName(file: string): string {
  const rel = path.relative(process.cwd(), file);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : file;
}

interface Parsed {
  data: unknown;
  doc: Document;
  lineCounter: LineCounter;
}

function parseText(name: string, text: string): Parsed | ScenarioError {
  let data: unknown;
  try {
    data = loadYaml(text, { filename: name });
  } catch (e) {
    if (e instanceof YAMLException) {
      const line = e.mark ? e.mark.line + 1 : 0;
      const column = e.mark ? e.mark.column + 1 : 0;
      return new ScenarioError(name, '', `YAML syntax error: ${e.reason}`, line, column);
    }
    return new ScenarioError(name, '', `YAML syntax error: ${(e as Error).message}`);
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: false });
  if (data === undefined || data === null) return new ScenarioError(name, '', 'file is empty', 1, 1);
  if (typeof data !== 'object' || Array.isArray(data))
    return new ScenarioError(name, '', 'a scenario file must be a map of fields (id, title, ...)', 1, 1);
  return { data, doc, lineCounter };
}

/**
 * Parses and validates one scenario from its text. Returns the scenario or
 * the list of problems (never both empty).
 */
export function parseScenario(
  text: string,
  file: string,
  packId?: string,
): { scenario?: Scenario; errors: ScenarioError[] } {
  const name = displayName(file);
  const parsed = parseText(name, text);
  if (parsed instanceof ScenarioError) return { errors: [parsed] };
  const { data, doc, lineCounter } = parsed;
  const errors = validateScenarioData(name, data, doc, lineCounter);
  if (errors.length) return { errors };
  const scenario = data as Scenario;
  const at = (segments: PathSegment[], message: string) => {
    const pos = locatePath(doc, lineCounter, segments);
    return new ScenarioError(name, formatPath(segments), message, pos.line, pos.column);
  };
  errors.push(...semanticChecks(scenario, at));
  if (errors.length) return { errors };
  scenario.source = path.resolve(file);
  if (packId) scenario.pack = packId;
  return { scenario, errors: [] };
}

/** Loads one scenario file; throws ScenarioLoadError listing every problem. */
export function loadScenarioFile(file: string, packId?: string): Scenario {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ScenarioLoadError([new ScenarioError(displayName(file), '', `cannot read file: ${(e as Error).message}`)]);
  }
  const { scenario, errors } = parseScenario(text, file, packId);
  if (!scenario) throw new ScenarioLoadError(errors);
  return scenario;
}

function isScenarioFileName(name: string): boolean {
  if (name.startsWith('.') || name.startsWith('_')) return false;
  if (name === 'pack.yaml' || name === 'pack.yml') return false;
  return name.endsWith('.yaml') || name.endsWith('.yml');
}

function readPackInfo(dir: string, errors: ScenarioError[]): PackInfo {
  const fallback: PackInfo = { id: path.basename(dir), title: path.basename(dir), dir };
  for (const fileName of ['pack.yaml', 'pack.yml']) {
    const file = path.join(dir, fileName);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    const name = displayName(file);
    const parsed = parseText(name, text);
    if (parsed instanceof ScenarioError) {
      errors.push(parsed);
      return fallback;
    }
    const raw = parsed.data as Record<string, unknown>;
    const info: PackInfo = { ...fallback };
    for (const [key, value] of Object.entries(raw)) {
      const pos = locatePath(parsed.doc, parsed.lineCounter, [], key);
      if (!['id', 'title', 'description'].includes(key)) {
        errors.push(new ScenarioError(name, key, `unknown field "${key}" (expected one of: id, title, description)`, pos.line, pos.column));
      } else if (typeof value !== 'string' || !value) {
        errors.push(new ScenarioError(name, key, `must be a non-empty string (got ${JSON.stringify(value)})`, pos.line, pos.column));
      } else if (key === 'id' && !/^[a-z0-9][a-z0-9-]*$/.test(value)) {
        errors.push(new ScenarioError(name, key, `must match ^[a-z0-9][a-z0-9-]*$ (got ${JSON.stringify(value)})`, pos.line, pos.column));
      } else {
        info[key as 'id' | 'title' | 'description'] = value;
      }
    }
    return info;
  }
  return fallback;
}

/**
 * Loads a pack: every *.yaml / *.yml in `dir` (not recursive; files named
 * pack.yaml or starting with "_" or "." are skipped). Scenario ids must be
 * unique within the pack.
 */
export function loadPack(dir: string): LoadedPack {
  const absDir = path.resolve(dir);
  const errors: ScenarioError[] = [];
  let entries: string[];
  try {
    if (!statSync(absDir).isDirectory()) throw new Error('not a directory');
    entries = readdirSync(absDir);
  } catch (e) {
    errors.push(new ScenarioError(displayName(absDir), '', `cannot read pack folder: ${(e as Error).message}`));
    return { pack: { id: path.basename(absDir), title: path.basename(absDir), dir: absDir }, scenarios: [], errors };
  }
  const pack = readPackInfo(absDir, errors);
  const scenarios: Scenario[] = [];
  const firstFileById = new Map<string, string>();
  for (const fileName of entries.filter(isScenarioFileName).sort()) {
    const file = path.join(absDir, fileName);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      errors.push(new ScenarioError(displayName(file), '', `cannot read file: ${(e as Error).message}`));
      continue;
    }
    const result = parseScenario(text, file, pack.id);
    if (!result.scenario) {
      errors.push(...result.errors);
      continue;
    }
    const earlier = firstFileById.get(result.scenario.id);
    if (earlier) {
      const lc = new LineCounter();
      const doc = parseDocument(text, { lineCounter: lc });
      const pos = locatePath(doc, lc, ['id']);
      errors.push(
        new ScenarioError(displayName(file), 'id', `duplicate scenario id "${result.scenario.id}" (also in ${earlier})`, pos.line, pos.column),
      );
      continue;
    }
    firstFileById.set(result.scenario.id, displayName(file));
    scenarios.push(result.scenario);
  }
  return { pack, scenarios, errors };
}

// ---- semantic checks ---------------------------------------------------------

type At = (segments: PathSegment[], message: string) => ScenarioError;

const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g;

function semanticChecks(scenario: Scenario, at: At): ScenarioError[] {
  const errors: ScenarioError[] = [];
  const workers = scenario.cluster.workers;
  const aliases = nodeAliases(workers);
  const aliasProblem = (alias: string) =>
    aliases.includes(alias)
      ? undefined
      : `unknown node alias "${alias}": with cluster.workers=${workers} the nodes are ${aliases.join(', ')}`;

  // Every string anywhere: placeholders must name existing nodes.
  walkStrings(scenario, [], (value, segments) => {
    for (const m of value.matchAll(PLACEHOLDER)) {
      const inner = m[1]!;
      if (inner === 'cluster') continue;
      if (inner.startsWith('nodes.')) {
        const problem = aliasProblem(inner.slice('nodes.'.length));
        if (problem) errors.push(at(segments, `placeholder ${m[0]}: ${problem}`));
      }
    }
  });

  for (const list of ['setup', 'faults', 'solution'] as const) {
    scenario[list].forEach((step, i) => checkStep(step, [list, i], aliasProblem, at, errors));
  }
  const altNames = new Map<string, number>();
  (scenario.alternativeSolutions ?? []).forEach((alt, a) => {
    const earlier = altNames.get(alt.name);
    if (earlier !== undefined) errors.push(at(['alternativeSolutions', a, 'name'], `duplicate alternative solution "${alt.name}" (also alternativeSolutions[${earlier}])`));
    else altNames.set(alt.name, a);
    alt.steps.forEach((step, i) => checkStep(step, ['alternativeSolutions', a, 'steps', i], aliasProblem, at, errors));
  });

  const seenIds = new Map<string, number>();
  scenario.checks.forEach((check, i) => {
    const earlier = seenIds.get(check.id);
    if (earlier !== undefined) errors.push(at(['checks', i, 'id'], `duplicate check id "${check.id}" (also checks[${earlier}])`));
    else seenIds.set(check.id, i);
    checkCheckKind(check, ['checks', i], aliasProblem, at, errors);
  });
  return errors;
}

function checkStep(step: Step, base: PathSegment[], aliasProblem: (a: string) => string | undefined, at: At, errors: ScenarioError[]) {
  const s = step as unknown as Record<string, Record<string, unknown>>;
  for (const kind of ['run', 'systemd', 'writeFile', 'editFile', 'editYaml']) {
    const node = s[kind]?.node;
    if (typeof node === 'string') {
      const problem = aliasProblem(node);
      if (problem) errors.push(at([...base, kind, 'node'], problem));
    }
  }
  if (s.node && typeof s.node.name === 'string') {
    const problem = aliasProblem(s.node.name);
    if (problem) errors.push(at([...base, 'node', 'name'], problem));
  }
  if (s.wait) checkCheckKind(s.wait.for as unknown as Check, [...base, 'wait', 'for'], aliasProblem, at, errors);
}

function checkCheckKind(check: Check, base: PathSegment[], aliasProblem: (a: string) => string | undefined, at: At, errors: ScenarioError[]) {
  const c = check as unknown as Record<string, Record<string, unknown>>;
  for (const kind of ['command', 'file', 'nodeReady', 'systemd', 'etcdSnapshot']) {
    const node = c[kind]?.node;
    if (typeof node === 'string') {
      const problem = aliasProblem(node);
      if (problem) errors.push(at([...base, kind, 'node'], problem));
    }
  }
  const regexFields: Array<[PathSegment[], unknown]> = [
    [['command', 'stdoutMatches'], c.command?.stdoutMatches],
    [['command', 'stdoutNotMatches'], c.command?.stdoutNotMatches],
    [['file', 'contains'], c.file?.contains],
    [['file', 'yaml', 'matches'], (c.file?.yaml as Record<string, unknown> | undefined)?.matches],
  ];
  for (const [segments, value] of regexFields) {
    if (typeof value !== 'string') continue;
    try {
      new RegExp(value, 'm');
    } catch (e) {
      errors.push(at([...base, ...segments], `invalid regular expression: ${(e as Error).message}`));
    }
  }
  const exprFields: Array<[PathSegment[], unknown]> = [
    [['object', 'expr'], c.object?.expr],
    [['absent', 'expr'], c.absent?.expr],
    [['file', 'yaml', 'path'], (c.file?.yaml as Record<string, unknown> | undefined)?.path],
  ];
  for (const [segments, value] of exprFields) {
    if (typeof value !== 'string') continue;
    // Placeholders are filled at run time; give the parser a plain name.
    const probe = value.replace(PLACEHOLDER, 'placeholder');
    try {
      compileJmespath(probe);
    } catch (e) {
      errors.push(at([...base, ...segments], `invalid JMESPath expression: ${(e as Error).message}`));
    }
  }
}

function walkStrings(value: unknown, segments: PathSegment[], visit: (s: string, segments: PathSegment[]) => void) {
  if (typeof value === 'string') visit(value, segments);
  else if (Array.isArray(value)) value.forEach((v, i) => walkStrings(v, [...segments, i], visit));
  else if (value && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) walkStrings(v, [...segments, k], visit);
}
