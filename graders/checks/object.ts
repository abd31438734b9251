/** object and absent checks: state read with kubectl get -o json. */
import type { AbsentCheck, Check, ObjectCheck } from '../../server/scenarios/types.js';
import type { CheckResult, ClusterView } from '../types.js';
import {
  describeRef,
  errorResult,
  explainApiError,
  findMismatch,
  isTruthy,
  itemName,
  jmes,
  kubectlGetArgs,
  makeResult,
  show,
} from '../util.js';

function itemsOf(list: unknown): unknown[] {
  const items = (list as { items?: unknown[] } | null)?.items;
  return Array.isArray(items) ? items : [];
}

export async function runObjectCheck(check: Check & ObjectCheck, view: ClusterView): Promise<CheckResult> {
  const spec = check.object;
  const what = describeRef(spec);
  const conditions = [spec.match !== undefined ? `matching ${show(spec.match)}` : '', spec.expr ? `where ${spec.expr}` : '']
    .filter(Boolean)
    .join(' and ');

  if (spec.name) {
    const expected = `${what} exists${conditions ? ' ' + conditions : ''}`;
    let obj: unknown;
    try {
      obj = await view.getJson(kubectlGetArgs(spec));
    } catch (e) {
      return errorResult(check, expected, `could not read ${what}: ${explainApiError(e)}`);
    }
    if (obj === null) return makeResult(check, false, expected, `${what} not found`);
    if (spec.match !== undefined) {
      const problem = findMismatch(spec.match, obj);
      if (problem) return makeResult(check, false, expected, problem);
    }
    if (spec.expr) {
      const value = jmes(obj, spec.expr);
      if (!isTruthy(value)) return makeResult(check, false, expected, `${spec.expr} is ${show(value)}`);
    }
    return makeResult(check, true, expected, `${what} found` + (conditions ? ' and matches' : ''));
  }

  const quantifier = spec.quantifier ?? 'all';
  const minCount = spec.minCount ?? 1;
  const countWords = quantifier === 'all' ? `at least ${minCount}, all` : `at least ${minCount}`;
  const expected = `${countWords} ${what}${spec.match !== undefined ? ` matching ${show(spec.match)}` : ''}${
    spec.expr ? ` (list: ${spec.expr})` : ''
  }`;
  let items: unknown[];
  try {
    items = itemsOf(await view.getJson(kubectlGetArgs(spec)));
  } catch (e) {
    return errorResult(check, expected, `could not list ${what}: ${explainApiError(e)}`);
  }
  const mismatches: string[] = [];
  const matching = items.filter((item) => {
    if (spec.match === undefined) return true;
    const problem = findMismatch(spec.match, item);
    if (problem) mismatches.push(`${itemName(item)}: ${problem}`);
    return !problem;
  });
  const summary = `${items.length} found, ${matching.length} matching` + (mismatches.length ? ` (${mismatches[0]})` : '');
  const countOk = quantifier === 'all' ? items.length >= minCount && matching.length === items.length : matching.length >= minCount;
  if (!countOk) return makeResult(check, false, expected, summary);
  if (spec.expr) {
    const value = jmes(items, spec.expr);
    if (!isTruthy(value)) return makeResult(check, false, expected, `${summary}; ${spec.expr} is ${show(value)}`);
  }
  return makeResult(check, true, expected, summary);
}

export async function runAbsentCheck(check: Check & AbsentCheck, view: ClusterView): Promise<CheckResult> {
  const spec = check.absent;
  const what = describeRef(spec);
  const expected = spec.expr ? `no ${what} where ${spec.expr}` : `no ${what}`;
  let found: unknown;
  try {
    found = await view.getJson(kubectlGetArgs(spec));
  } catch (e) {
    return errorResult(check, expected, `could not read ${what}: ${explainApiError(e)}`);
  }
  const candidates = spec.name ? (found === null ? [] : [found]) : itemsOf(found);
  const present = spec.expr ? candidates.filter((item) => isTruthy(jmes(item, spec.expr!))) : candidates;
  if (present.length === 0) {
    const actual = candidates.length === 0 ? 'none found' : `${candidates.length} found, none where ${spec.expr}`;
    return makeResult(check, true, expected, actual);
  }
  const names = present.slice(0, 5).map(itemName).join(', ') + (present.length > 5 ? ', ...' : '');
  return makeResult(check, false, expected, `found ${present.length}: ${names}`);
}
