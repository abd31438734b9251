/**
 * Argument parsing for the command line, kept apart from cli/main.ts (which
 * runs on import) so the flags can be unit-tested.
 */
import { Command, InvalidArgumentError } from 'commander';

/**
 * A parser for whole-number flags: digits only, at least `min`. Number()
 * alone would take "x" as NaN, "" as 0, "1.5", "1e3" or "0x10". Commander
 * prefixes the message with the flag, e.g. option '--retries <n>' argument
 * 'x' is invalid.
 */
export function wholeNumber(min: number): (value: string) => number {
  return (value: string) => {
    const n = /^\d+$/.test(value) ? Number(value) : NaN;
    if (!Number.isSafeInteger(n) || n < min) throw new InvalidArgumentError(`expected a whole number ≥ ${min}, got "${value}"`);
    return n;
  };
}
export const positiveInt = wholeNumber(1);
export const nonNegativeInt = wholeNumber(0);

export function collect(value: string, prev: string[]): string[] {
  return [...prev, value];
}

export interface ValidateCliOptions {
  scenario: string[];
  runs: number;
  concurrency: number;
  junit?: string;
  keepFailed?: boolean;
  retries: number;
  image?: string;
  /** false with --no-alternatives */
  alternatives: boolean;
}

/** `kubedrill validate <pack>` with its options; the caller adds the action. */
export function validateCommand(program: Command): Command {
  return program
    .command('validate')
    .description('prove a pack on real clusters: faults → 0 %, reference solution → 100 %')
    .argument('<pack>', 'pack folder')
    .option('-s, --scenario <id>', 'only this scenario (repeatable)', collect, [])
    .option('--runs <n>', 'run each scenario n times, each on a fresh cluster (2 = the flake check)', positiveInt, 2)
    .option('-j, --concurrency <n>', 'clusters at once', positiveInt, 1)
    .option('--junit <file>', 'write JUnit XML')
    .option('--keep-failed', 'keep the cluster of a failed scenario for debugging')
    .option('--retries <n>', 're-run a failed scenario on a fresh cluster up to n times (reported as FLAKY if it then passes)', nonNegativeInt, 0)
    .option('--image <ref>', 'node image (default: the offline image if built, else kindest/node)')
    .option('--no-alternatives', "skip the scenarios' alternativeSolutions (each otherwise runs once on its own cluster)");
}
