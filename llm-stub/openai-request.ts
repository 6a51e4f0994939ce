// OpenAI chat-completion requests: the zod schema and conversion to our ChatMessage format and brain params.
import { z } from 'zod';
import type { ChatMessage, ToolCall } from '../agents/conversation';

const textContentSchema = z.union([
  z.string(),
  z.array(z.looseObject({ type: z.string(), text: z.string().optional() })),
  z.null(),
]);

const wireToolCallSchema = z.looseObject({
  id: z.string().min(1),
  type: z.literal('function').optional(),
  function: z.looseObject({ name: z.string().min(1), arguments: z.string() }),
});

const wireMessageSchema = z.discriminatedUnion('role', [
  z.looseObject({ role: z.literal('system'), content: textContentSchema }),
  z.looseObject({ role: z.literal('developer'), content: textContentSchema }),
  z.looseObject({ role: z.literal('user'), content: textContentSchema }),
  z.looseObject({
    role: z.literal('assistant'),
    content: textContentSchema.optional(),
    tool_calls: z.array(wireToolCallSchema).nullish(),
  }),
  z.looseObject({ role: z.literal('tool'), content: textContentSchema, tool_call_id: z.string().min(1) }),
]);
export type WireMessage = z.infer<typeof wireMessageSchema>;

/**
 * The fields of `POST /v1/chat/completions` the stub reads. Other fields (temperature, n, ...) are
 * accepted and ignored, as clients send many of them.
 */
export const chatCompletionRequestSchema = z.looseObject({
  model: z.string().min(1),
  messages: z.array(wireMessageSchema).min(1),
  tools: z
    .array(
      z.looseObject({
        type: z.literal('function'),
        function: z.looseObject({ name: z.string().min(1) }),
      }),
    )
    .nullish(),
  stream: z.boolean().nullish(),
  stream_options: z.looseObject({ include_usage: z.boolean().nullish() }).nullish(),
});
export type ChatCompletionRequest = z.infer<typeof chatCompletionRequestSchema>;

/** Converts OpenAI wire messages to ChatMessages; `developer` becomes `system`. */
export function toChatMessages(messages: WireMessage[]): ChatMessage[] {
  // OpenAI tool messages carry only the call id; the tool name comes from the assistant turn that made the call.
  const toolNames = new Map<string, string>();
  return messages.map((message): ChatMessage => {
    const content = textOf(message.content);
    switch (message.role) {
      case 'system':
      case 'developer':
        return { role: 'system', content };
      case 'user':
        return { role: 'user', content };
      case 'assistant': {
        const toolCalls = (message.tool_calls ?? []).map((call): ToolCall => {
          toolNames.set(call.id, call.function.name);
          return { id: call.id, name: call.function.name, args: parseArgs(call.function.arguments) };
        });
        return toolCalls.length ? { role: 'assistant', content, toolCalls } : { role: 'assistant', content };
      }
      case 'tool':
        return {
          role: 'tool',
          content,
          toolCallId: message.tool_call_id,
          name: toolNames.get(message.tool_call_id) ?? 'unknown',
        };
    }
  });
}

/** Tool names offered by the request, in order. */
export function toolNamesOf(request: ChatCompletionRequest): string[] {
  return (request.tools ?? []).map((tool) => tool.function.name);
}

/**
 * Brain params from the query part of the model name, e.g. `stub-model?rounds=3&pad=100` gives
 * `{ rounds: '3', pad: '100' }`, so callers pick behaviour through configuration they already have.
 */
export function modelParams(model: string): Record<string, string> {
  const query = model.indexOf('?');
  if (query < 0) return {};
  return Object.fromEntries(new URLSearchParams(model.slice(query + 1)));
}

function textOf(content: z.infer<typeof textContentSchema> | undefined): string {
  if (content === null || content === undefined) return '';
  if (typeof content === 'string') return content;
  return content.map((part) => part.text ?? '').join('');
}

function parseArgs(json: string): Record<string, unknown> {
  // The brain never reads earlier arguments, so unparseable ones (e.g. echoed from a bad-tool-call fault) become {}.
  try {
    const value: unknown = JSON.parse(json);
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : {};
  } catch {
    return {};
  }
}
