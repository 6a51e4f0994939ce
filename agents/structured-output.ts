/**
 * Structured output: finding the JSON in a model answer, and the verdict the model-call activity returns.
 *
 * Workflow-safe (no zod). Answers are checked against their JSON Schema in the model-call activity
 * (`structured-output-schema.ts`); the workflow only decides repair or failure from the verdict.
 */

export type StructuredCheck = { ok: true; value: unknown } | { ok: false; problem: string };

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
