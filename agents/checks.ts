/**
 * Small input checks for workflow code (signal and update validators, workflow inputs), without zod.
 *
 * Workflow-safe and cheap: the workflow bundle carries these few functions instead of a schema library (a worker
 * with `reuseV8Context: false` evaluates every bundled module for each workflow it holds). Boundaries outside
 * workflows (client, activities, config) validate with zod.
 */

/** A check returns what is wrong with `value` (naming each path, `; `-separated), or undefined when it is fine. */
export type Check = (value: unknown, path: string) => string | undefined;

const at = (path: string) => path || '(root)';

export function str(options: { min?: number; max?: number; pattern?: RegExp } = {}): Check {
  const { min = 0, max = Infinity, pattern } = options;
  return (v, path) => {
    if (typeof v !== 'string') return `${at(path)}: expected a string`;
    if (v.length < min) return `${at(path)}: must have at least ${min} character(s)`;
    if (v.length > max) return `${at(path)}: must have at most ${max} characters`;
    if (pattern && !pattern.test(v)) return `${at(path)}: has characters that are not allowed`;
    return undefined;
  };
}

export function num(options: { int?: boolean; min?: number; max?: number } = {}): Check {
  const { int = false, min = -Infinity, max = Infinity } = options;
  return (v, path) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) return `${at(path)}: expected a number`;
    if (int && !Number.isInteger(v)) return `${at(path)}: expected an integer`;
    if (v < min) return `${at(path)}: must be at least ${min}`;
    if (v > max) return `${at(path)}: must be at most ${max}`;
    return undefined;
  };
}

export const bool: Check = (v, path) => (typeof v === 'boolean' ? undefined : `${at(path)}: expected a boolean`);

export const any: Check = () => undefined;

export function oneOf(values: readonly string[]): Check {
  return (v, path) =>
    typeof v === 'string' && values.includes(v) ? undefined : `${at(path)}: expected one of ${values.join(', ')}`;
}

/** A field that may be absent (undefined). */
export function optional(check: Check): Check & { optional: true } {
  return Object.assign((v: unknown, path: string) => (v === undefined ? undefined : check(v, path)), {
    optional: true as const,
  });
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A plain object with these fields; `strict` (the default) refuses fields not listed. Names every bad field. */
export function obj(shape: Record<string, Check>, options: { strict?: boolean } = {}): Check {
  const strict = options.strict ?? true;
  return (v, path) => {
    if (!isRecord(v)) return `${at(path)}: expected an object`;
    const problems: string[] = [];
    for (const [key, check] of Object.entries(shape)) {
      const sub = path ? `${path}.${key}` : key;
      const problem =
        v[key] === undefined && !(check as { optional?: true }).optional ? `${sub}: required` : check(v[key], sub);
      if (problem) problems.push(problem);
    }
    if (strict) {
      const extra = Object.keys(v).find((key) => !(key in shape));
      if (extra !== undefined) problems.push(`${at(path)}: unexpected field "${extra}"`);
    }
    return problems.length > 0 ? problems.join('; ') : undefined;
  };
}

/** A record of string keys whose values pass `check`. */
export function record(check: Check): Check {
  return (v, path) => {
    if (!isRecord(v)) return `${at(path)}: expected an object`;
    for (const [key, value] of Object.entries(v)) {
      const problem = check(value, path ? `${path}.${key}` : key);
      if (problem) return problem;
    }
    return undefined;
  };
}

export function arr(item: Check, options: { min?: number; max?: number } = {}): Check {
  const { min = 0, max = Infinity } = options;
  return (v, path) => {
    if (!Array.isArray(v)) return `${at(path)}: expected an array`;
    if (v.length < min) return `${at(path)}: must have at least ${min} item(s)`;
    if (v.length > max) return `${at(path)}: must have at most ${max} items`;
    for (let i = 0; i < v.length; i++) {
      const problem = item(v[i], `${path}.${i}`);
      if (problem) return problem;
    }
    return undefined;
  };
}

/** The first check that passes, or the problem of the first one (for unions discriminated elsewhere). */
export function union(...checks: Check[]): Check {
  return (v, path) => {
    let first: string | undefined;
    for (const check of checks) {
      const problem = check(v, path);
      if (!problem) return undefined;
      first ??= problem;
    }
    return first;
  };
}

/** Whether `value` passes `check`, as a type guard. */
export function passes<T>(check: Check, value: unknown): value is T {
  return check(value, '') === undefined;
}
