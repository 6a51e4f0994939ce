// OpenAI chat-completion responses: completion objects, SSE chunks, usage and error bodies, in OpenAI's wire shape.
import type { ChatMessage, ToolCall } from '../agents/conversation';
import { approximateTokens, type ScriptedReply } from '../stand-ins/scripted-brain';

/** Identity shared by every object of one response. */
export interface ResponseMeta {
  id: string;
  /** Unix seconds. */
  created: number;
  model: string;
}

export interface WireUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details: { cached_tokens: number };
}

/** A tool call as OpenAI sends it; `arguments` is a string that faults may make invalid. */
export interface WireToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

/** Converts brain tool calls to the wire shape, arguments as JSON strings. */
export function toWireToolCalls(toolCalls: ToolCall[]): WireToolCall[] {
  return toolCalls.map((call) => ({
    id: call.id,
    type: 'function',
    function: { name: call.name, arguments: JSON.stringify(call.args) },
  }));
}

/** Approximate usage: prompt from every message's text and tool calls, completion from the reply. */
export function usageFor(messages: ChatMessage[], reply: ScriptedReply): WireUsage {
  const promptText = messages
    .map((m) => m.content + (m.role === 'assistant' && m.toolCalls ? JSON.stringify(m.toolCalls) : ''))
    .join('\n');
  const prompt = approximateTokens(promptText);
  const completion = approximateTokens(reply.content + (reply.toolCalls.length ? JSON.stringify(reply.toolCalls) : ''));
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_tokens_details: { cached_tokens: 0 },
  };
}

/** A non-streaming `chat.completion` object. */
export function completionBody(meta: ResponseMeta, content: string, toolCalls: WireToolCall[], usage: WireUsage) {
  return {
    id: meta.id,
    object: 'chat.completion',
    created: meta.created,
    model: meta.model,
    system_fingerprint: 'fp_llm_stub',
    choices: [
      {
        index: 0,
        // OpenAI sends null content (not '') when the turn is only tool calls.
        message: {
          role: 'assistant',
          content: content === '' && toolCalls.length ? null : content,
          refusal: null,
          ...(toolCalls.length ? { tool_calls: toolCalls } : {}),
        },
        logprobs: null,
        finish_reason: toolCalls.length ? 'tool_calls' : 'stop',
      },
    ],
    usage,
  };
}

/**
 * The `chat.completion.chunk` objects of a streamed reply, without the `[DONE]` sentinel: a role
 * chunk, content pieces, each tool call (id and name first, then argument pieces), a finish chunk,
 * and, when `usage` is given, a last chunk with empty `choices` (OpenAI's `include_usage` shape).
 */
export function completionChunks(
  meta: ResponseMeta,
  content: string,
  toolCalls: WireToolCall[],
  usage?: WireUsage,
): object[] {
  const withUsage = usage !== undefined;
  const chunk = (delta: object, finishReason: string | null = null) => ({
    id: meta.id,
    object: 'chat.completion.chunk',
    created: meta.created,
    model: meta.model,
    system_fingerprint: 'fp_llm_stub',
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
    // With include_usage, OpenAI sets usage: null on every chunk but the last.
    ...(withUsage ? { usage: null } : {}),
  });
  const chunks: object[] = [chunk({ role: 'assistant', content: '', refusal: null })];
  for (const piece of content.match(/\s*\S+/g) ?? []) chunks.push(chunk({ content: piece }));
  toolCalls.forEach((call, index) => {
    chunks.push(
      chunk({
        tool_calls: [{ index, id: call.id, type: 'function', function: { name: call.function.name, arguments: '' } }],
      }),
    );
    for (const piece of slices(call.function.arguments, 12))
      chunks.push(chunk({ tool_calls: [{ index, function: { arguments: piece } }] }));
  });
  chunks.push(chunk({}, toolCalls.length ? 'tool_calls' : 'stop'));
  if (usage) {
    chunks.push({
      id: meta.id,
      object: 'chat.completion.chunk',
      created: meta.created,
      model: meta.model,
      system_fingerprint: 'fp_llm_stub',
      choices: [],
      usage,
    });
  }
  return chunks;
}

/** One SSE event carrying `data`. */
export function sseEvent(data: string): string {
  return `data: ${data}\n\n`;
}

/** The stream terminator OpenAI sends after the last chunk. */
export const sseDone = sseEvent('[DONE]');

/** OpenAI's error `type` and `code` per status, so clients map them as they would real errors. */
const errorDefaults: Record<number, { type: string; code: string | null; message: string }> = {
  400: { type: 'invalid_request_error', code: null, message: 'Bad request (injected by llm-stub).' },
  401: {
    type: 'invalid_request_error',
    code: 'invalid_api_key',
    message: 'Incorrect API key provided (injected by llm-stub).',
  },
  403: {
    type: 'invalid_request_error',
    code: 'unsupported_country_region_territory',
    message: 'Forbidden (injected by llm-stub).',
  },
  404: {
    type: 'invalid_request_error',
    code: 'model_not_found',
    message: 'The model does not exist (injected by llm-stub).',
  },
  429: {
    type: 'requests',
    code: 'rate_limit_exceeded',
    message: 'Rate limit reached for requests (injected by llm-stub).',
  },
  500: {
    type: 'server_error',
    code: null,
    message: 'The server had an error while processing your request (injected by llm-stub).',
  },
  503: { type: 'server_error', code: null, message: 'The engine is currently overloaded (injected by llm-stub).' },
};

/** An OpenAI-style error body: `{ error: { message, type, param, code } }`. */
export function errorBody(
  status: number,
  overrides: { message?: string; type?: string; code?: string | null; param?: string | null } = {},
) {
  const defaults = errorDefaults[status] ?? {
    type: status >= 500 ? 'server_error' : 'invalid_request_error',
    code: null,
    message: `HTTP ${status} (injected by llm-stub).`,
  };
  return {
    error: {
      message: overrides.message ?? defaults.message,
      type: overrides.type ?? defaults.type,
      param: overrides.param ?? null,
      code: overrides.code !== undefined ? overrides.code : defaults.code,
    },
  };
}

function slices(text: string, size: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}
