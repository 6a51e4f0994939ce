/** Structured output checks with zod's JSON Schema conversion: used by the client (schema given) and the model-call activity (answers). */
import { z } from 'zod';
import { describeZodError } from './errors';
import { extractJson, type StructuredCheck } from './structured-output';

/** The zod schema for a JSON Schema, or an error message saying why it cannot be used. */
export function compileJsonSchema(schema: Record<string, unknown>): { schema: z.ZodType } | { error: string } {
  try {
    return { schema: z.fromJSONSchema(schema as z.core.JSONSchema.JSONSchema) };
  } catch (err) {
    return { error: err instanceof Error ? err.message : String(err) };
  }
}

/** Checks a model answer against a JSON Schema. */
export function checkStructuredAnswer(text: string, jsonSchema: Record<string, unknown>): StructuredCheck {
  const compiled = compileJsonSchema(jsonSchema);
  if ('error' in compiled) return { ok: false, problem: `schema cannot be used: ${compiled.error}` };
  const extracted = extractJson(text);
  if ('error' in extracted) return { ok: false, problem: extracted.error };
  const parsed = compiled.schema.safeParse(extracted.value);
  if (!parsed.success) return { ok: false, problem: describeZodError(parsed.error) };
  return { ok: true, value: parsed.data };
}
