/** Conversions between our plain `ChatMessage`s and LangChain messages. */
import { AIMessage, HumanMessage, SystemMessage, ToolMessage, type BaseMessage } from '@langchain/core/messages';
import type { AssistantMessage, ChatMessage, Usage } from '../../agents/conversation';

export function toLangChainMessages(messages: ChatMessage[]): BaseMessage[] {
  return messages.map((m) => {
    switch (m.role) {
      case 'system':
        return new SystemMessage(m.content);
      case 'user':
        return new HumanMessage(m.content);
      case 'assistant':
        return new AIMessage({
          content: m.content,
          tool_calls: (m.toolCalls ?? []).map((call) => ({
            id: call.id,
            name: call.name,
            args: call.args,
            type: 'tool_call' as const,
          })),
        });
      case 'tool':
        return new ToolMessage({
          content: m.content,
          tool_call_id: m.toolCallId,
          name: m.name,
          status: m.isError ? 'error' : 'success',
        });
    }
  });
}

export function fromLangChainMessages(messages: BaseMessage[]): ChatMessage[] {
  return messages.map((m): ChatMessage => {
    const content = textOf(m);
    if (SystemMessage.isInstance(m)) return { role: 'system', content };
    if (AIMessage.isInstance(m)) return { role: 'assistant', content, toolCalls: toolCallsOf(m) };
    if (ToolMessage.isInstance(m)) return { role: 'tool', content, toolCallId: m.tool_call_id, name: m.name ?? '' };
    return { role: 'user', content };
  });
}

export function textOf(message: BaseMessage): string {
  return typeof message.content === 'string' ? message.content : message.text;
}

function toolCallsOf(message: AIMessage): AssistantMessage['toolCalls'] {
  const calls = (message.tool_calls ?? []).map((call, i) => ({
    id: call.id ?? `call_${i}`,
    name: call.name,
    args: call.args ?? {},
  }));
  return calls.length ? calls : undefined;
}

export interface ModelReply {
  message: AssistantMessage;
  usage: Pick<Usage, 'inputTokens' | 'outputTokens' | 'cachedTokens'>;
  /** Tool calls the provider sent in a shape we could not parse. */
  invalidToolCalls: number;
}

export function fromAIMessage(message: AIMessage): ModelReply {
  const usage = message.usage_metadata;
  return {
    message: { role: 'assistant', content: textOf(message), toolCalls: toolCallsOf(message) },
    usage: {
      inputTokens: usage?.input_tokens ?? 0,
      outputTokens: usage?.output_tokens ?? 0,
      cachedTokens: usage?.input_token_details?.cache_read ?? 0,
    },
    invalidToolCalls: message.invalid_tool_calls?.length ?? 0,
  };
}
