/** Zod schemas of the conversation format (`conversation.ts`), for boundaries outside workflow code. */
import { z } from 'zod';
import type { ChatMessage, ToolCall, Usage } from './conversation';

export const toolCallSchema = z.object({
  id: z.string().min(1).max(200),
  name: z.string().min(1).max(100),
  args: z.record(z.string(), z.unknown()),
}) satisfies z.ZodType<ToolCall>;

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
]) satisfies z.ZodType<ChatMessage>;

export const usageSchema = z.object({
  inputTokens: z.number().int().nonnegative(),
  outputTokens: z.number().int().nonnegative(),
  cachedTokens: z.number().int().nonnegative(),
  modelCalls: z.number().int().nonnegative(),
  toolCalls: z.number().int().nonnegative(),
  /** Cost in US dollars, from the price table (0 when the model has no price). */
  costUsd: z.number().nonnegative(),
}) satisfies z.ZodType<Usage>;
