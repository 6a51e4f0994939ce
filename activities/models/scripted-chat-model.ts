/**
 * `ScriptedChatModel`: a deterministic LangChain chat model (spec `scripted:<name>[?params]`).
 *
 * Not a real LLM. It answers from `scriptedReply`, supports tool calling and streaming, and reports token
 * usage, so the demo and tests run the whole stack without a provider. Output is labelled as scripted.
 */
import type { CallbackManagerForLLMRun } from '@langchain/core/callbacks/manager';
import {
  BaseChatModel,
  type BaseChatModelCallOptions,
  type BindToolsInput,
} from '@langchain/core/language_models/chat_models';
import { AIMessage, AIMessageChunk, type BaseMessage } from '@langchain/core/messages';
import { ChatGenerationChunk, type ChatResult } from '@langchain/core/outputs';
import type { Runnable } from '@langchain/core/runnables';
import type { BaseLanguageModelInput } from '@langchain/core/language_models/base';
import { convertToOpenAITool } from '@langchain/core/utils/function_calling';
import { fromLangChainMessages } from './convert';
import { approximateTokens, scriptedReply, type ScriptedParams } from '../../stand-ins/scripted-brain';

export interface ScriptedChatModelOptions extends ScriptedParams {
  /** Milliseconds each call takes (honours abort). Default 0. */
  delayMs?: number;
  /** Milliseconds between streamed words. Default 0. */
  tokenDelayMs?: number;
}

interface ScriptedCallOptions extends BaseChatModelCallOptions {
  tools?: { function: { name: string } }[];
}

export class ScriptedChatModel extends BaseChatModel<ScriptedCallOptions, AIMessageChunk> {
  static lc_name() {
    return 'ScriptedChatModel';
  }

  constructor(private readonly options: ScriptedChatModelOptions = {}) {
    super({});
  }

  _llmType(): string {
    return 'scripted';
  }

  override bindTools(
    tools: BindToolsInput[],
    kwargs?: Partial<ScriptedCallOptions>,
  ): Runnable<BaseLanguageModelInput, AIMessageChunk, ScriptedCallOptions> {
    return this.withConfig({
      tools: tools.map((t) => convertToOpenAITool(t)),
      ...kwargs,
    } as Partial<ScriptedCallOptions>);
  }

  private async reply(messages: BaseMessage[], options: this['ParsedCallOptions']) {
    await sleep(this.options.delayMs ?? 0, options.signal);
    const conversation = fromLangChainMessages(messages);
    const reply = scriptedReply(
      conversation,
      (options.tools ?? []).map((t) => t.function.name),
      this.options,
    );
    const inputTokens = approximateTokens(conversation.map((m) => m.content).join('\n'));
    const outputTokens = approximateTokens(reply.content + JSON.stringify(reply.toolCalls));
    return {
      reply,
      usage: { input_tokens: inputTokens, output_tokens: outputTokens, total_tokens: inputTokens + outputTokens },
    };
  }

  async _generate(messages: BaseMessage[], options: this['ParsedCallOptions']): Promise<ChatResult> {
    const { reply, usage } = await this.reply(messages, options);
    const message = new AIMessage({
      content: reply.content,
      tool_calls: reply.toolCalls.map((c) => ({ ...c, type: 'tool_call' as const })),
      usage_metadata: usage,
      response_metadata: { model_provider: 'scripted' },
    });
    return { generations: [{ text: reply.content, message }] };
  }

  async *_streamResponseChunks(
    messages: BaseMessage[],
    options: this['ParsedCallOptions'],
    runManager?: CallbackManagerForLLMRun,
  ): AsyncGenerator<ChatGenerationChunk> {
    const { reply, usage } = await this.reply(messages, options);
    const pieces = reply.content.match(/\S+\s*/g) ?? [];
    for (const piece of pieces) {
      await sleep(this.options.tokenDelayMs ?? 0, options.signal);
      options.signal?.throwIfAborted();
      yield new ChatGenerationChunk({ text: piece, message: new AIMessageChunk({ content: piece }) });
      await runManager?.handleLLMNewToken(piece);
    }
    yield new ChatGenerationChunk({
      text: '',
      message: new AIMessageChunk({
        content: '',
        tool_call_chunks: reply.toolCalls.map((c, index) => ({
          id: c.id,
          name: c.name,
          args: JSON.stringify(c.args),
          index,
          type: 'tool_call_chunk' as const,
        })),
        usage_metadata: usage,
      }),
    });
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    signal?.throwIfAborted();
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(timer), reject(signal.reason)), { once: true });
  });
}
