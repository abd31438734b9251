/** file check: existence, mode, content regex, and a JMESPath into parsed YAML/JSON. */
import { isDeepStrictEqual } from 'node:util';
import { parseAllDocuments } from 'yaml';
import type { Check, FileCheck } from '../../server/scenarios/types.js';
import { shellQuote } from '../../server/steps/placeholders.js';
import type { CheckResult, ClusterView } from '../types.js';
import { errorResult, isTruthy, jmes, makeResult, show } from '../util.js';

export interface FileState {
  exists: boolean;
  isDir?: boolean;
  /** Octal permission bits as stat prints them, e.g. "600". */
  mode?: string;
  content?: string;
}

/** One script reads existence, mode and content in a single round trip. */
export function fileStateScript(path: string): string {
  return [
    `f=${shellQuote(path)}`,
    'if [ ! -e "$f" ]; then echo KD_MISSING; exit 0; fi',
    'echo "KD_MODE $(stat -L -c %a "$f")"',
    'if [ -d "$f" ]; then echo KD_DIR; exit 0; fi',
    'echo KD_CONTENT',
    'cat "$f"',
  ].join('\n');
}

export function parseFileState(stdout: string): FileState {
  if (stdout.startsWith('KD_MISSING')) return { exists: false };
  const modeMatch = /^KD_MODE (\d+)\n/.exec(stdout);
  if (!modeMatch) throw new Error(`unexpected output reading the file: ${show(stdout, 120)}`);
  const rest = stdout.slice(modeMatch[0].length);
  if (rest.startsWith('KD_DIR')) return { exists: true, isDir: true, mode: modeMatch[1] };
  const content = rest.startsWith('KD_CONTENT\n') ? rest.slice('KD_CONTENT\n'.length) : '';
  return { exists: true, mode: modeMatch[1], content };
}

/** Parses YAML or JSON; several documents become a list. */
export function parseYamlValue(text: string): unknown {
  const docs = parseAllDocuments(text);
  const list = Array.isArray(docs) ? docs : [];
  for (const doc of list) if (doc.errors.length) throw new Error(doc.errors[0]!.message.split('\n')[0]);
  const values = list.map((d) => d.toJS());
  return values.length === 1 ? values[0] : values;
}

export async function runFileCheck(check: Check & FileCheck, view: ClusterView): Promise<CheckResult> {
  const spec = check.file;
  const wantExists = spec.exists ?? true;
  const where = `${spec.path} on ${spec.node}`;
  const parts: string[] = [];
  if (spec.mode) parts.push(`mode ${spec.mode}`);
  if (spec.contains) parts.push(`content matching /${spec.contains}/`);
  if (spec.yaml) {
    const y = spec.yaml;
    parts.push(y.equals !== undefined ? `${y.path} = ${show(y.equals)}` : y.matches ? `${y.path} matching /${y.matches}/` : `${y.path} set`);
  }
  const expected = wantExists ? `${where} exists${parts.length ? ' with ' + parts.join(', ') : ''}` : `${where} does not exist`;

  let state: FileState;
  try {
    const res = await view.runOnNode(spec.node, fileStateScript(spec.path), 30_000);
    if (res.exitCode !== 0) throw new Error(res.stderr.trim() || `exit code ${res.exitCode}`);
    state = parseFileState(res.stdout);
  } catch (e) {
    return errorResult(check, expected, `could not read ${where}: ${(e as Error).message}`);
  }
  if (!wantExists) return makeResult(check, !state.exists, expected, state.exists ? `${where} exists` : `${where} not found`);
  if (!state.exists) return makeResult(check, false, expected, `${where} not found`);
  if (spec.mode && parseInt(spec.mode, 8) !== parseInt(state.mode ?? '', 8))
    return makeResult(check, false, expected, `mode is ${state.mode!.padStart(4, '0')}`);
  if (state.isDir && (spec.contains || spec.yaml)) return makeResult(check, false, expected, `${where} is a directory`);
  const content = state.content ?? '';
  if (spec.contains && !new RegExp(spec.contains, 'm').test(content))
    return makeResult(check, false, expected, `content does not match /${spec.contains}/`);
  if (spec.yaml) {
    let value: unknown;
    try {
      value = jmes(parseYamlValue(content), spec.yaml.path);
    } catch (e) {
      return makeResult(check, false, expected, `not valid YAML/JSON: ${(e as Error).message}`);
    }
    const y = spec.yaml;
    const ok =
      y.equals !== undefined
        ? isDeepStrictEqual(value, y.equals)
        : y.matches
          ? value !== null && value !== undefined && new RegExp(y.matches, 'm').test(typeof value === 'string' ? value : JSON.stringify(value))
          : isTruthy(value);
    if (!ok) return makeResult(check, false, expected, `${y.path} is ${show(value)}`);
    return makeResult(check, true, expected, `${y.path} is ${show(value)}`);
  }
  return makeResult(check, true, expected, `${where} exists` + (spec.mode ? ` with mode ${state.mode!.padStart(4, '0')}` : ''));
}
