/**
 * System prompts and limits of the built-in templates, without zod: shared by the templates (client side)
 * and the workflow's resolver of inputs recorded before runs carried a spec (so those runs replay as they ran).
 */
export const chatSystemPrompt = 'You are a helpful assistant. Answer clearly and concisely.';

export const reactSystemPrompt =
  'You are an agent that solves tasks step by step. Use the tools when they help; ' +
  'when you have the answer, reply with it and call no tool.';

export const structuredSystemPrompt =
  'You answer with JSON only: no prose, no code fences. The JSON must satisfy this JSON Schema:';

/** Marks the schema block in the system prompt so models (and our scripted model) can find it. */
export const schemaFence = '```json-schema';

/** The system message of a structured answer: the prompt, then the schema in a fenced block. */
export function structuredSystemMessage(prompt: string, schema: Record<string, unknown>): string {
  return `${prompt}\n${schemaFence}\n${JSON.stringify(schema)}\n\`\`\``;
}

export const reactDefaultMaxSteps = 8;
export const reactMaxStepsLimit = 10_000;

/** Names of the built-in tools, in catalog order (`tool-specs.ts` holds their schemas). */
export const builtinToolNames = ['calculator', 'current_time', 'word_count'] as const;
