/**
 * `kubedrill lint <dir>`: loads a pack and prints one line per problem
 * (file:line:column: path: message), then a summary. Exit code 1 when any
 * problem was found.
 */
import { loadPack } from '../server/scenarios/loader.js';

export interface LintOutcome {
  /** Lines to print, in order. */
  lines: string[];
  /** The same lines joined, newline-terminated (what cli/main.ts prints). */
  output: string;
  exitCode: 0 | 1;
}

export function lintPack(dir: string): LintOutcome {
  const { pack, scenarios, errors } = loadPack(dir);
  const lines = errors.map((e) => e.message);
  const files = new Set(errors.map((e) => e.file));
  const summary =
    `pack "${pack.id}" (${pack.dir}): ${scenarios.length} scenario(s) OK` +
    (errors.length ? `, ${errors.length} problem(s) in ${files.size} file(s)` : '');
  lines.push(summary);
  return { lines, output: lines.join('\n') + '\n', exitCode: errors.length ? 1 : 0 };
}
