/**
 * Structured output: JSON Schema checks for the `structured` template.
 *
 * Pure and deterministic (zod's JSON Schema conversion), so the workflow validates answers itself.
 */
import { z } from 'zod';
import { describeZodError } from './errors';

/** The zod schema for a JSON Schema, or an error message saying why it cannot be used. */
export function compileJsonSchema(schema: Record<string, unknown>): { schema: z.ZodType } | { error: string } {
  try {
    return { schema: z.fromJSONSchema(schema as z.core.JSONSchema.JSONSchema) };
  } catch (err) {
    return { error: err instanceof Error ? err.message : String(err) };
  }
}

/** The JSON value in a model answer: the whole text, or the first fenced ```json block. */
export function extractJson(text: string): { value: unknown } | { error: string } {
  const fenced = /```(?:json)?\s*([\s\S]*?)```/.exec(text);
  const candidate = (fenced ? fenced[1] : text).trim();
  try {
    return { value: JSON.parse(candidate) };
  } catch (err) {
    return { error: `answer is not valid JSON (${err instanceof Error ? err.message : String(err)})` };
  }
}

export type StructuredCheck = { ok: true; value: unknown } | { ok: false; problem: string };

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
