/**
 * The pure part of the editYaml step: apply `set` and `replaceIn` edits to
 * YAML text with the `yaml` document model, so comments and layout of e.g. a
 * static pod manifest survive.
 */
import { isMap, isScalar, isSeq, parseDocument, type Document } from 'yaml';

export type YamlPathSegment = string | number;

/**
 * "spec.containers[0].command[3]" -> ["spec","containers",0,"command",3]
 * 'metadata.labels["app.kubernetes.io/name"]' -> ["metadata","labels","app.kubernetes.io/name"]
 */
export function parseYamlPath(path: string): YamlPathSegment[] {
  const segments: YamlPathSegment[] = [];
  const re = /([^.[\]]+)|\[(\d+)\]|\["((?:[^"\\]|\\.)*)"\]|\['([^']*)'\]|(\.)/gy;
  let m: RegExpExecArray | null;
  let expectKey = true;
  let last = 0;
  while ((m = re.exec(path)) !== null) {
    last = re.lastIndex;
    if (m[1] !== undefined) {
      if (!expectKey) throw new Error(`bad path "${path}": missing "." before "${m[1]}"`);
      segments.push(m[1]);
      expectKey = false;
    } else if (m[2] !== undefined) {
      segments.push(Number(m[2]));
      expectKey = false;
    } else if (m[3] !== undefined) {
      segments.push(JSON.parse(`"${m[3]}"`) as string);
      expectKey = false;
    } else if (m[4] !== undefined) {
      segments.push(m[4]);
      expectKey = false;
    } else {
      if (expectKey) throw new Error(`bad path "${path}": empty key`);
      expectKey = true;
    }
  }
  if (last !== path.length || segments.length === 0 || expectKey)
    throw new Error(`bad path "${path}" (use dotted keys, [n] indexes, ["key.with.dots"])`);
  return segments;
}

export interface YamlEdits {
  set?: Record<string, unknown>;
  replaceIn?: Array<{ path: string; from: string; to: string }>;
}

function describe(segments: YamlPathSegment[]): string {
  return segments.map((s, i) => (typeof s === 'number' ? `[${s}]` : i ? `.${s}` : s)).join('');
}

/** Returns the edited text; throws an Error naming the path for anything that cannot apply. */
export function applyYamlEdits(text: string, edits: YamlEdits): string {
  const doc = parseDocument(text);
  if (doc.errors.length) throw new Error(`not valid YAML: ${doc.errors[0]!.message.split('\n')[0]}`);
  for (const [rawPath, value] of Object.entries(edits.set ?? {})) {
    const segments = parseYamlPath(rawPath);
    checkWalkable(doc, segments, rawPath);
    if (value === null) {
      if (!doc.hasIn(segments)) throw new Error(`set ${rawPath}: null deletes, but ${rawPath} does not exist`);
      doc.deleteIn(segments);
    } else {
      doc.setIn(segments, value);
    }
  }
  for (const edit of edits.replaceIn ?? []) {
    const segments = parseYamlPath(edit.path);
    const target = doc.getIn(segments, true);
    if (target === undefined) throw new Error(`replaceIn ${edit.path}: path not found`);
    let count = 0;
    const visit = (node: unknown): void => {
      if (isScalar(node)) {
        if (typeof node.value === 'string' && node.value.includes(edit.from)) {
          node.value = node.value.split(edit.from).join(edit.to);
          count++;
        }
      } else if (isMap(node)) {
        for (const pair of node.items) visit(pair.value);
      } else if (isSeq(node)) {
        for (const item of node.items) visit(item);
      }
    };
    visit(target);
    if (count === 0) throw new Error(`replaceIn ${edit.path}: "${edit.from}" not found in any string value`);
  }
  return doc.toString();
}

/** Index segments must address existing list items (or append at the end): no silent null padding. */
function checkWalkable(doc: Document, segments: YamlPathSegment[], rawPath: string) {
  let node: unknown = doc.contents;
  for (const [i, seg] of segments.entries()) {
    if (node === undefined || node === null) return; // setIn creates missing maps
    if (typeof seg === 'number') {
      if (!isSeq(node)) throw new Error(`set ${rawPath}: ${describe(segments.slice(0, i)) || 'the document'} is not a list`);
      if (seg > node.items.length) throw new Error(`set ${rawPath}: index ${seg} is past the end (${node.items.length} items)`);
      node = node.items[seg];
    } else {
      if (isSeq(node)) throw new Error(`set ${rawPath}: ${describe(segments.slice(0, i))} is a list; use [n]`);
      if (!isMap(node)) {
        if (isScalar(node)) throw new Error(`set ${rawPath}: ${describe(segments.slice(0, i))} is a plain value, not a map`);
        return;
      }
      node = node.get(seg, true);
    }
  }
}

/** Where editYaml keeps the pristine copy of a file: never next to it (kubelet runs every file in manifests/). */
export function backupPathFor(filePath: string): string {
  return '/var/lib/kubedrill/backups/' + filePath.replace(/^\/+/, '').replace(/\//g, '_');
}
