/**
 * The structured-output verdict for model replies recorded before the model-call activity returned one.
 *
 * Those histories were decided in the workflow with zod; replaying them needs the same valid/invalid answer,
 * now without zod in workflow code. This covers the JSON Schema keywords such schemas use (type, properties,
 * required, additionalProperties, items, enum, const, bounds, anyOf/oneOf/allOf); other keywords pass.
 * New replies carry the activity's verdict (full JSON Schema through zod) and never come here.
 */
import { extractJson, type StructuredCheck } from '../agents/structured-output';

type Schema = Record<string, unknown>;

export function legacyStructuredCheck(answer: string, schema: Schema): StructuredCheck {
  const extracted = extractJson(answer);
  if ('error' in extracted) return { ok: false, problem: extracted.error };
  const problem = check(extracted.value, schema, '(root)');
  return problem ? { ok: false, problem } : { ok: true, value: extracted.value };
}

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function hasType(value: unknown, type: string): boolean {
  const actual = typeOf(value);
  return actual === type || (type === 'number' && actual === 'integer');
}

function check(value: unknown, schema: Schema, path: string): string | undefined {
  const types =
    schema.type === undefined ? [] : Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type as string];
  if (types.length > 0 && !types.some((t) => hasType(value, t))) return `${path}: expected ${types.join(' or ')}`;
  if (Array.isArray(schema.enum) && !schema.enum.some((e) => JSON.stringify(e) === JSON.stringify(value)))
    return `${path}: not one of the allowed values`;
  if ('const' in schema && JSON.stringify(schema.const) !== JSON.stringify(value))
    return `${path}: not the required value`;
  if (typeof value === 'number') {
    if (typeof schema.minimum === 'number' && value < schema.minimum) return `${path}: too small`;
    if (typeof schema.maximum === 'number' && value > schema.maximum) return `${path}: too big`;
    if (typeof schema.exclusiveMinimum === 'number' && value <= schema.exclusiveMinimum) return `${path}: too small`;
    if (typeof schema.exclusiveMaximum === 'number' && value >= schema.exclusiveMaximum) return `${path}: too big`;
  }
  if (typeof value === 'string') {
    if (typeof schema.minLength === 'number' && value.length < schema.minLength) return `${path}: too short`;
    if (typeof schema.maxLength === 'number' && value.length > schema.maxLength) return `${path}: too long`;
  }
  if (Array.isArray(value)) {
    if (typeof schema.minItems === 'number' && value.length < schema.minItems) return `${path}: too few items`;
    if (typeof schema.maxItems === 'number' && value.length > schema.maxItems) return `${path}: too many items`;
    if (schema.items && typeof schema.items === 'object') {
      for (let i = 0; i < value.length; i++) {
        const problem = check(value[i], schema.items as Schema, `${path}.${i}`);
        if (problem) return problem;
      }
    }
  }
  if (typeOf(value) === 'object') {
    const object = value as Record<string, unknown>;
    const properties = (schema.properties ?? {}) as Record<string, Schema>;
    for (const key of (schema.required as string[] | undefined) ?? [])
      if (!(key in object)) return `${path}.${key}: required`;
    for (const [key, sub] of Object.entries(properties)) {
      if (key in object) {
        const problem = check(object[key], sub, `${path}.${key}`);
        if (problem) return problem;
      }
    }
    if (schema.additionalProperties === false) {
      const extra = Object.keys(object).find((key) => !(key in properties));
      if (extra !== undefined) return `${path}: unexpected field "${extra}"`;
    }
  }
  for (const sub of (schema.allOf as Schema[] | undefined) ?? []) {
    const problem = check(value, sub, path);
    if (problem) return problem;
  }
  const anyOf = (schema.anyOf ?? schema.oneOf) as Schema[] | undefined;
  if (anyOf && !anyOf.some((sub) => !check(value, sub, path))) return `${path}: matches none of the allowed shapes`;
  return undefined;
}
