/**
 * {{nodes.<alias>}} and {{cluster}} placeholders in scenario strings.
 * Other {{...}} text (Go templates in scripts, e.g. {{.metadata.name}}) is
 * left untouched.
 */

export interface PlaceholderVars {
  cluster: string;
  /** alias -> real node name */
  nodes: Record<string, string>;
}

const PLACEHOLDER = /\{\{\s*(cluster|nodes\.[A-Za-z0-9-]+)\s*\}\}/g;

export class PlaceholderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PlaceholderError';
  }
}

function fillString(text: string, vars: PlaceholderVars): string {
  return text.replace(PLACEHOLDER, (_whole, name: string) => {
    if (name === 'cluster') return vars.cluster;
    const alias = name.slice('nodes.'.length);
    const real = vars.nodes[alias];
    if (real === undefined)
      throw new PlaceholderError(`unknown node alias in {{${name}}}: this cluster has ${Object.keys(vars.nodes).join(', ')}`);
    return real;
  });
}

/** Returns a deep copy of `value` with placeholders filled in every string (not in map keys). */
export function fillPlaceholders<T>(value: T, vars: PlaceholderVars): T {
  if (typeof value === 'string') return fillString(value, vars) as T;
  if (Array.isArray(value)) return value.map((v) => fillPlaceholders(v, vars)) as T;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = fillPlaceholders(v, vars);
    return out as T;
  }
  return value;
}

/** Single-quotes a string for bash on the node (the script itself goes on stdin, never through a host shell). */
export function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}
