/** Builds a LangChain chat model from a spec (`openai:`, `anthropic:`, `ollama:`, `scripted:`). */
import { ChatAnthropic } from '@langchain/anthropic';
import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import { ChatOllama } from '@langchain/ollama';
import { ChatOpenAI } from '@langchain/openai';
import { agentFailure, ErrorType } from '../../agents/errors';
import type { ModelSpec } from '../../agents/model-spec';
import type { ProviderEnv } from './provider-config';
import { ScriptedChatModel } from './scripted-chat-model';
import { scriptedParams } from '../../stand-ins/scripted-brain';

export interface ModelCallContext {
  /** Headers that identify the call to the provider's logs: run, step, attempt. Never secrets. */
  headers: Record<string, string>;
  timeoutMs: number;
}

export function createChatModel(spec: ModelSpec, env: ProviderEnv, call: ModelCallContext): BaseChatModel {
  switch (spec.provider) {
    case 'openai': {
      if (!env.OPENAI_API_KEY && !env.OPENAI_BASE_URL) {
        throw agentFailure(
          ErrorType.UnknownModel,
          `${spec.spec} needs OPENAI_API_KEY (or OPENAI_BASE_URL for an OpenAI-compatible server) on the worker`,
        );
      }
      return new ChatOpenAI({
        // Options after "?" stay in the model id: OpenAI-compatible servers (our stub among them) may read them.
        model: openAiModelId(spec),
        // OpenAI-compatible servers often take any key; the client library insists on one.
        apiKey: env.OPENAI_API_KEY || 'not-needed',
        configuration: { baseURL: env.OPENAI_BASE_URL, defaultHeaders: call.headers },
        maxRetries: 0,
        timeout: call.timeoutMs,
        streamUsage: true,
      });
    }
    case 'anthropic': {
      if (!env.ANTHROPIC_API_KEY)
        throw agentFailure(ErrorType.UnknownModel, `${spec.spec} needs ANTHROPIC_API_KEY on the worker`);
      return new ChatAnthropic({
        model: spec.model,
        apiKey: env.ANTHROPIC_API_KEY,
        anthropicApiUrl: env.ANTHROPIC_BASE_URL,
        clientOptions: { defaultHeaders: call.headers, timeout: call.timeoutMs },
        maxRetries: 0,
      });
    }
    case 'ollama':
      return new ChatOllama({
        model: spec.model,
        baseUrl: env.OLLAMA_BASE_URL ?? 'http://127.0.0.1:11434',
        headers: call.headers,
        maxRetries: 0,
      });
    case 'scripted': {
      const ms = (value: string | undefined) => (value && /^\d+$/.test(value) ? Number(value) : 0);
      return new ScriptedChatModel({
        ...scriptedParams(spec.params),
        delayMs: ms(spec.params.delayMs),
        tokenDelayMs: ms(spec.params.tokenDelayMs),
      });
    }
  }
}

function openAiModelId(spec: ModelSpec): string {
  const query = Object.entries(spec.params)
    .map(([key, value]) => `${key}=${value}`)
    .join('&');
  return query ? `${spec.model}?${query}` : spec.model;
}
