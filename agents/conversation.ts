/**
 * The conversation format stored in workflow state and passed to activities.
 *
 * Plain JSON objects (no classes) so they survive the data converter and continue-as-new. Workflow-safe (no zod);
 * the zod schemas are in `conversation-schema.ts`.
 */
export interface ToolCall {
  id: string;
  name: string;
  args: Record<string, unknown>;
}

export type ChatMessage =
  | { role: 'system'; content: string }
  | { role: 'user'; content: string }
  | { role: 'assistant'; content: string; toolCalls?: ToolCall[] }
  | { role: 'tool'; content: string; toolCallId: string; name: string; isError?: boolean };
export type AssistantMessage = Extract<ChatMessage, { role: 'assistant' }>;
export type ToolMessage = Extract<ChatMessage, { role: 'tool' }>;

export interface Usage {
  inputTokens: number;
  outputTokens: number;
  cachedTokens: number;
  modelCalls: number;
  toolCalls: number;
  /** Cost in US dollars, from the price table (0 when the model has no price). */
  costUsd: number;
}

/**
 * Characters of messages as they travel (content and tool-call arguments): what bounds a model call's tail in
 * history (workflow) and the conversations a worker keeps (activities).
 */
export function charsOf(messages: readonly ChatMessage[]): number {
  let chars = 0;
  for (const m of messages)
    chars += m.content.length + ('toolCalls' in m && m.toolCalls ? JSON.stringify(m.toolCalls).length : 0);
  return chars;
}

export function emptyUsage(): Usage {
  return { inputTokens: 0, outputTokens: 0, cachedTokens: 0, modelCalls: 0, toolCalls: 0, costUsd: 0 };
}

/** Adds `delta` into `total` (in place) and returns it. */
export function addUsage(total: Usage, delta: Partial<Usage>): Usage {
  total.inputTokens += delta.inputTokens ?? 0;
  total.outputTokens += delta.outputTokens ?? 0;
  total.cachedTokens += delta.cachedTokens ?? 0;
  total.modelCalls += delta.modelCalls ?? 0;
  total.toolCalls += delta.toolCalls ?? 0;
  // Round to 1e-9 dollars so sums stay exact across many calls.
  total.costUsd = Math.round((total.costUsd + (delta.costUsd ?? 0)) * 1e9) / 1e9;
  return total;
}
