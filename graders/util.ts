/**
 * Small helpers shared by the check kinds: result building, JMESPath
 * truthiness, partial-object matching, learner-readable value printing.
 */
import { search, type JSONValue } from '@jmespath-community/jmespath';
import type { Check, ObjectRef } from '../server/scenarios/types.js';
import type { CheckResult } from './types.js';

export function makeResult(
  check: Check,
  passed: boolean,
  expected: string,
  actual: string,
  error?: string,
): CheckResult {
  const result: CheckResult = {
    id: check.id,
    description: check.description,
    points: passed ? check.points : 0,
    maxPoints: check.points,
    passed,
    expected,
    actual,
  };
  if (!passed && check.explain) result.explain = check.explain;
  if (error) result.error = error;
  return result;
}

/** A check that could not run at all (API server down, node unreachable, bad regex...). */
export function errorResult(check: Check, expected: string, error: string): CheckResult {
  return makeResult(check, false, expected, 'could not check: ' + firstLine(error), error);
}

export function firstLine(text: string, max = 200): string {
  const line = text.trim().split('\n').find((l) => l.trim()) ?? '';
  return line.length > max ? line.slice(0, max - 3) + '...' : line;
}

/** Compact, bounded JSON for messages. */
export function show(value: unknown, max = 120): string {
  if (value === undefined) return 'nothing';
  const text = typeof value === 'string' ? JSON.stringify(value) : JSON.stringify(value);
  return text.length > max ? text.slice(0, max - 3) + '...' : text;
}

/** JMESPath truthiness: null, false, "", [] and {} are false; 0 is true. */
export function isTruthy(value: unknown): boolean {
  if (value === null || value === undefined || value === false || value === '') return false;
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === 'object') return Object.keys(value as object).length > 0;
  return true;
}

export function jmes(data: unknown, expr: string): unknown {
  return search(data as JSONValue, expr);
}

/**
 * Partial match. Returns null when `actual` contains everything `expected`
 * gives, else a sentence naming the first mismatch. Rules: maps match
 * recursively; a list matches when each expected element matches some
 * actual element; null expected means absent-or-null; scalars are strict.
 */
export function findMismatch(expected: unknown, actual: unknown, path = ''): string | null {
  const where = path || 'the object';
  if (expected === null) {
    return actual === null || actual === undefined ? null : `${where} is ${show(actual)} (expected it absent)`;
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return `${where} is ${actual === undefined ? 'missing' : show(actual)} (expected a list)`;
    for (const [i, want] of expected.entries()) {
      if (!actual.some((have) => findMismatch(want, have, '') === null))
        return `${where} has no element matching ${show(want)}` + (expected.length > 1 ? ` (expected element ${i + 1})` : '');
    }
    return null;
  }
  if (typeof expected === 'object') {
    if (actual === null || typeof actual !== 'object' || Array.isArray(actual))
      return `${where} is ${actual === undefined ? 'missing' : show(actual)} (expected a map)`;
    for (const [key, want] of Object.entries(expected as Record<string, unknown>)) {
      const sub = path ? `${path}.${key}` : key;
      const problem = findMismatch(want, (actual as Record<string, unknown>)[key], sub);
      if (problem) return problem;
    }
    return null;
  }
  if (actual === expected) return null;
  return `${where} is ${actual === undefined ? 'missing' : show(actual)} (expected ${show(expected)})`;
}

/** kubectl resource argument: "Deployment" + "apps/v1" -> "deployment.v1.apps". */
export function resourceArg(ref: ObjectRef): string {
  if (!ref.apiVersion || !ref.apiVersion.includes('/')) return ref.kind;
  const [group, version] = ref.apiVersion.split('/');
  return `${ref.kind.toLowerCase()}.${version}.${group}`;
}

export function kubectlGetArgs(ref: ObjectRef): string[] {
  const args = [resourceArg(ref)];
  if (ref.name) args.push(ref.name);
  if (ref.allNamespaces) args.push('--all-namespaces');
  else if (ref.namespace) args.push('-n', ref.namespace);
  if (ref.selector) args.push('-l', ref.selector);
  return args;
}

/** "Deployment kube-system/coredns", "pods in shop with app=web" */
export function describeRef(ref: ObjectRef): string {
  if (ref.name) return `${ref.kind} ${ref.namespace ? ref.namespace + '/' : ''}${ref.name}`;
  const scope = ref.allNamespaces ? ' in all namespaces' : ref.namespace ? ` in ${ref.namespace}` : '';
  return `${ref.kind}${scope}${ref.selector ? ` with ${ref.selector}` : ''}`;
}

export function itemName(item: unknown): string {
  const meta = (item as { metadata?: { name?: string; namespace?: string } })?.metadata;
  if (!meta?.name) return '(unnamed)';
  return meta.namespace ? `${meta.namespace}/${meta.name}` : meta.name;
}

/** Turns kubectl/driver failures into a sentence a learner understands. */
export function explainApiError(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  if (/connection refused|was refused|unable to connect|i\/o timeout|tls handshake|no route to host|context deadline|ServiceUnavailable|EOF/i.test(text))
    return `the API server did not answer (${firstLine(text)})`;
  return firstLine(text, 300);
}

export const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });
