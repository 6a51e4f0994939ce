/** The bare baseline's activities: `ChatOpenAI` with a calculator tool, and the tool itself. */
import { AIMessage, HumanMessage, SystemMessage, ToolMessage, type BaseMessage } from '@langchain/core/messages';
import { tool } from '@langchain/core/tools';
import { ChatOpenAI } from '@langchain/openai';
import { z } from 'zod';
import { evaluate } from './calculator';

export interface ToolCall {
  id: string;
  name: string;
  args: Record<string, unknown>;
}

export interface Message {
  role: 'system' | 'user' | 'assistant' | 'tool';
  content: string;
  toolCalls?: ToolCall[];
  toolCallId?: string;
}

const calculator = tool(async ({ expression }) => String(evaluate(expression)), {
  name: 'calculator',
  description: 'Evaluates an arithmetic expression, e.g. "(2 + 3) * 4".',
  schema: z.object({ expression: z.string() }),
});

const models = new Map<string, ReturnType<ChatOpenAI['bindTools']>>();

function modelFor(name: string) {
  let model = models.get(name);
  if (!model) {
    // OPENAI_BASE_URL / OPENAI_API_KEY come from the environment, as in the samples.
    model = new ChatOpenAI({
      model: name,
      apiKey: process.env.OPENAI_API_KEY ?? 'not-needed',
      configuration: { baseURL: process.env.OPENAI_BASE_URL },
    }).bindTools([calculator]);
    models.set(name, model);
  }
  return model;
}

function toLangChain(m: Message): BaseMessage {
  switch (m.role) {
    case 'system':
      return new SystemMessage(m.content);
    case 'user':
      return new HumanMessage(m.content);
    case 'assistant':
      return new AIMessage({
        content: m.content,
        tool_calls: (m.toolCalls ?? []).map((c) => ({ ...c, type: 'tool_call' as const })),
      });
    case 'tool':
      return new ToolMessage({ content: m.content, tool_call_id: m.toolCallId ?? '' });
  }
}

export async function callModel(model: string, messages: Message[]): Promise<Message> {
  const reply = await modelFor(model).invoke(messages.map(toLangChain));
  return {
    role: 'assistant',
    content: typeof reply.content === 'string' ? reply.content : JSON.stringify(reply.content),
    toolCalls: (reply.tool_calls ?? []).map((c) => ({ id: c.id ?? '', name: c.name, args: c.args })),
  };
}

export async function callTool(name: string, args: Record<string, unknown>): Promise<string> {
  if (name !== calculator.name) return `unknown tool ${name}`;
  return calculator.invoke(args as { expression: string });
}
