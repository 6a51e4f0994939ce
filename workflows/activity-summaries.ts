/**
 * One-line summaries of the activities a run schedules, shown by the Temporal UI in the run's timeline and event
 * history, so it reads as the agent's story: `step 3 · openai:gpt-4o-mini`, then `calculator(2*2)`.
 *
 * Deterministic and pure. Summaries are user metadata: Temporal does not check them on replay.
 */

/** Characters of a tool call's arguments kept in its summary. */
export const summaryArgsChars = 60;

/** `step <n> · <provider:model>` (the spec without its `?options`). */
export function modelCallSummary(step: number, model: string): string {
  const q = model.indexOf('?');
  return `step ${step} · ${q < 0 ? model : model.slice(0, q)}`;
}

/** `<tool>(<args>)`: a single string argument as it is, anything else as JSON; clipped to {@link summaryArgsChars}. */
export function toolCallSummary(tool: string, args: Record<string, unknown> | undefined): string {
  const values = args ? Object.values(args) : [];
  const shown =
    values.length === 0 ? '' : values.length === 1 && typeof values[0] === 'string' ? values[0] : json(args);
  return `${tool}(${clip(shown.replace(/\s+/g, ' '), summaryArgsChars)})`;
}

function json(value: unknown): string {
  try {
    return JSON.stringify(value) ?? '';
  } catch {
    return '';
  }
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
