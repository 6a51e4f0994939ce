/**
 * Builds the LangChain chat model of a spec (`openai:`, `anthropic:`, `ollama:`, `scripted:`). Provider models are
 * shared by the calls of a worker (one per provider settings, model and timeout), as a hand-written agent keeps one:
 * building a model and its HTTP client per call cost more CPU than the call's own request. What differs per call,
 * the headers naming the run, goes on each request through {@link withCallHeaders}.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
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
  /** Timeout of one provider request, in milliseconds. */
  timeoutMs: number;
}

/** Headers that identify the call in progress to the provider's logs: run, step, attempt. Never secrets. */
const callHeaders = new AsyncLocalStorage<Record<string, string>>();

/** Runs `call` with `headers` added to every provider request it makes. */
export function withCallHeaders<T>(headers: Record<string, string>, call: () => T): T {
  return callHeaders.run(headers, call);
}

/** The fetch of the shared provider clients: the request as the client made it, plus the call's headers. */
const fetchWithCallHeaders: typeof fetch = (input, init) => {
  const extra = callHeaders.getStore();
  if (!extra) return fetch(input, init);
  const headers = new Headers(init?.headers);
  for (const [name, value] of Object.entries(extra)) headers.set(name, value);
  return fetch(input, { ...init, headers });
};

/** Models shared per provider settings (a worker's, or a test's), then per spec and timeout. */
const sharedModels = new WeakMap<ProviderEnv, Map<string, BaseChatModel>>();
/** Specs carry free options (`?rounds=2`): past this many models per settings the oldest is dropped, not kept forever. */
export const maxSharedModels = 64;

export function createChatModel(spec: ModelSpec, env: ProviderEnv, call: ModelCallContext): BaseChatModel {
  if (spec.provider === 'scripted') {
    const ms = (value: string | undefined) => (value && /^\d+$/.test(value) ? Number(value) : 0);
    return new ScriptedChatModel({
      ...scriptedParams(spec.params),
      delayMs: ms(spec.params.delayMs),
      tokenDelayMs: ms(spec.params.tokenDelayMs),
    });
  }
  let models = sharedModels.get(env);
  if (!models) sharedModels.set(env, (models = new Map()));
  const key = `${spec.spec}\n${call.timeoutMs}`;
  let model = models.get(key);
  if (!model) {
    if (models.size >= maxSharedModels) models.delete(models.keys().next().value!);
    models.set(key, (model = providerModel(spec.provider, spec, env, call)));
  }
  return model;
}

function providerModel(
  provider: Exclude<ModelSpec['provider'], 'scripted'>,
  spec: ModelSpec,
  env: ProviderEnv,
  call: ModelCallContext,
): BaseChatModel {
  switch (provider) {
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
        configuration: { baseURL: env.OPENAI_BASE_URL, fetch: fetchWithCallHeaders },
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
        clientOptions: { fetch: fetchWithCallHeaders, timeout: call.timeoutMs },
        maxRetries: 0,
      });
    }
    case 'ollama':
      return new ChatOllama({
        model: spec.model,
        baseUrl: env.OLLAMA_BASE_URL ?? 'http://127.0.0.1:11434',
        fetch: fetchWithCallHeaders,
        maxRetries: 0,
      });
  }
}

function openAiModelId(spec: ModelSpec): string {
  const query = Object.entries(spec.params)
    .map(([key, value]) => `${key}=${value}`)
    .join('&');
  return query ? `${spec.model}?${query}` : spec.model;
}
