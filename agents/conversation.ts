/**
 * The conversation format stored in workflow state and passed to activities.
 *
 * Plain JSON objects (no classes) so they survive the data converter and continue-as-new.
 */
import { z } from 'zod';

export const toolCallSchema = z.object({
  id: z.string().min(1).max(200),
  name: z.string().min(1).max(100),
  args: z.record(z.string(), z.unknown()),
});
export type ToolCall = z.infer<typeof toolCallSchema>;

export const chatMessageSchema = z.discriminatedUnion('role', [
  z.object({ role: z.literal('system'), content: z.string() }),
  z.object({ role: z.literal('user'), content: z.string() }),
  z.object({ role: z.literal('assistant'), content: z.string(), toolCalls: z.array(toolCallSchema).optional() }),
  z.object({
    role: z.literal('tool'),
    content: z.string(),
    toolCallId: z.string(),
    name: z.string(),
    isError: z.boolean().optional(),
  }),
]);
export type ChatMessage = z.infer<typeof chatMessageSchema>;
export type AssistantMessage = Extract<ChatMessage, { role: 'assistant' }>;
export type ToolMessage = Extract<ChatMessage, { role: 'tool' }>;

export const usageSchema = z.object({
  inputTokens: z.number().int().nonnegative(),
  outputTokens: z.number().int().nonnegative(),
  cachedTokens: z.number().int().nonnegative(),
  modelCalls: z.number().int().nonnegative(),
  toolCalls: z.number().int().nonnegative(),
  /** Cost in US dollars, from the price table (0 when the model has no price). */
  costUsd: z.number().nonnegative(),
});
export type Usage = z.infer<typeof usageSchema>;

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
