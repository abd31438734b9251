import { describe, expect, it } from 'vitest';
import { Command, CommanderError } from 'commander';
import { nonNegativeInt, positiveInt, validateCommand, type ValidateCliOptions } from '../../cli/args.js';

/** Parses `kubedrill validate ...` without exiting the process; returns the options or the error text. */
function parseValidate(args: string[]): { opts?: ValidateCliOptions; pack?: string; error?: string } {
  let stderr = '';
  const program = new Command().name('kubedrill').exitOverride().configureOutput({ writeErr: (s) => void (stderr += s), writeOut: () => {} });
  let got: { opts?: ValidateCliOptions; pack?: string } = {};
  validateCommand(program).action((pack: string, opts: ValidateCliOptions) => {
    got = { pack, opts };
  });
  try {
    program.parse(['node', 'kubedrill', 'validate', ...args]);
  } catch (e) {
    if (!(e instanceof CommanderError)) throw e;
    return { error: stderr || e.message };
  }
  return got;
}

describe('whole-number flag parsers', () => {
  it.each([['0', 0], ['1', 1], ['007', 7], ['12', 12]])('nonNegativeInt(%j) = %d', (v, n) => {
    expect(nonNegativeInt(v)).toBe(n);
  });

  it.each(['x', '', ' ', '-1', '1.5', '1e3', '0x10', 'NaN', 'Infinity', '2 ', '+3', '99999999999999999999'])('nonNegativeInt rejects %j', (v) => {
    expect(() => nonNegativeInt(v)).toThrow(/expected a whole number ≥ 0/);
  });

  it('positiveInt rejects 0 and takes 1', () => {
    expect(() => positiveInt('0')).toThrow(/expected a whole number ≥ 1, got "0"/);
    expect(positiveInt('1')).toBe(1);
  });
});

describe('kubedrill validate options', () => {
  it('defaults: two runs (the flake check), one at a time, no retries, alternatives on', () => {
    expect(parseValidate(['scenarios/core'])).toEqual({
      pack: 'scenarios/core',
      opts: { scenario: [], runs: 2, concurrency: 1, retries: 0, alternatives: true },
    });
  });

  it('parses every flag into numbers and lists', () => {
    const { opts } = parseValidate(['p', '-s', 'a', '--scenario', 'b', '--runs', '2', '-j', '3', '--retries', '1', '--junit', 'out.xml', '--keep-failed', '--image', 'kindest/node:v1.34.0', '--no-alternatives']);
    expect(opts).toEqual({ scenario: ['a', 'b'], runs: 2, concurrency: 3, retries: 1, junit: 'out.xml', keepFailed: true, image: 'kindest/node:v1.34.0', alternatives: false });
  });

  it('--retries 0 is allowed', () => {
    expect(parseValidate(['p', '--retries', '0']).opts?.retries).toBe(0);
  });

  it.each([
    [['--retries', 'x'], '--retries'],
    [['--retries', '-1'], '--retries'],
    [['--retries', '1.5'], '--retries'],
    [['--runs', '0'], '--runs'],
    [['--runs', 'two'], '--runs'],
    [['-j', '0'], '--concurrency'],
    [['--concurrency', 'NaN'], '--concurrency'],
  ])('%j is an error naming the flag', (args, flag) => {
    const r = parseValidate(['p', ...args]);
    expect(r.opts).toBeUndefined();
    expect(r.error).toContain(flag);
    expect(r.error).toMatch(/expected a whole number ≥ [01], got "/);
  });
});
