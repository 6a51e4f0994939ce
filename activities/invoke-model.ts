/** The `invokeModel` activity: one LangChain model call for one agent step. */
import { Context } from '@temporalio/activity';
import type { AIMessage, AIMessageChunk, BaseMessage } from '@langchain/core/messages';
import type { Runnable } from '@langchain/core/runnables';
import { z } from 'zod';
import { agentFailure, ErrorType, parseOrFail } from '../agents/errors';
import { modelSpecSchema } from '../agents/model-spec';
import { fetchConversation } from './conversation-fetch';
import { fromAIMessage, toLangChainMessages, type ModelReply } from './models/convert';
import { toModelFailure } from './models/errors';
import { createChatModel } from './models/factory';
import type { ProviderEnv } from './models/provider-config';
import { toolsByName } from './tools/registry';
import { TokenPublisher } from './token-publisher';

export const invokeModelInputSchema = z.object({
  step: z.number().int().nonnegative(),
  model: z.string().min(1).max(200),
  tools: z.array(z.string()).max(50),
  /** How many messages of the workflow's conversation to send. */
  messageCount: z.number().int().positive(),
  user: z.string(),
  template: z.string(),
  timeoutMs: z.number().int().positive(),
  /** Stream the reply to the workflow's `tokens` query while the call runs. */
  stream: z.boolean().optional(),
});
export type InvokeModelInput = z.infer<typeof invokeModelInputSchema>;

export interface InvokeModelResult extends Omit<ModelReply, 'invalidToolCalls'> {
  model: string;
  durationMs: number;
}

export interface InvokeModelDeps {
  providerEnv: ProviderEnv;
  /** Interval between heartbeats while the call runs. Default 1,000 ms. */
  heartbeatIntervalMs?: number;
}

export function createInvokeModel(deps: InvokeModelDeps) {
  return async function invokeModel(raw: InvokeModelInput): Promise<InvokeModelResult> {
    const input = parseOrFail(invokeModelInputSchema, raw, 'invokeModel input');
    const ctx = Context.current();
    const spec = parseOrFail(modelSpecSchema, input.model, 'model spec');
    const execution = ctx.info.workflowExecution;
    if (!execution) throw agentFailure(ErrorType.InvalidInput, 'invokeModel runs only as an activity of an agent workflow');
    const { workflowId, runId } = execution;
    const started = Date.now();

    // Heartbeats let a stop or cancel reach this call within seconds, and let Temporal see a dead worker.
    ctx.heartbeat({ phase: 'fetching' });
    const heartbeat = setInterval(() => ctx.heartbeat({ phase: 'calling' }), deps.heartbeatIntervalMs ?? 1000);
    try {
      const messages = await fetchConversation(ctx.client, workflowId, runId, input.messageCount);
      const chat = createChatModel(spec, deps.providerEnv, {
        headers: { 'x-agent-run': workflowId, 'x-agent-step': String(input.step), 'x-agent-attempt': String(ctx.info.attempt) },
        timeoutMs: input.timeoutMs,
      });
      const tools = toolsByName(input.tools);
      const runnable = tools.length > 0 ? chat.bindTools!(tools) : chat;
      let reply: ModelReply;
      try {
        const lcMessages = toLangChainMessages(messages);
        const message = input.stream
          ? await streamReply(runnable, lcMessages, new TokenPublisher(ctx.client.workflow.getHandle(workflowId, runId), input.step, ctx.info.attempt, 200, (err) => ctx.log.warn('token batch not delivered', { error: String(err) })))
          : await runnable.invoke(lcMessages, { signal: ctx.cancellationSignal });
        if (!message) throw agentFailure(ErrorType.ModelOutputInvalid, `${spec.spec} streamed no message`);
        reply = fromAIMessage(message as AIMessage);
      } catch (err) {
        if (ctx.cancellationSignal.aborted) throw ctx.cancellationSignal.reason ?? err;
        throw toModelFailure(err, spec.spec);
      }
      if (reply.invalidToolCalls > 0) {
        throw agentFailure(ErrorType.ModelOutputInvalid, `${spec.spec} sent ${reply.invalidToolCalls} tool call(s) with unparseable arguments`);
      }
      return { message: reply.message, usage: reply.usage, model: spec.spec, durationMs: Date.now() - started };
    } finally {
      clearInterval(heartbeat);
    }
  };
}

/** Streams the call, forwarding text to the publisher, and returns the whole message. */
async function streamReply(runnable: Runnable<BaseMessage[], unknown>, messages: BaseMessage[], publisher: TokenPublisher): Promise<AIMessageChunk | undefined> {
  const ctx = Context.current();
  let whole: AIMessageChunk | undefined;
  try {
    for await (const chunk of await runnable.stream(messages, { signal: ctx.cancellationSignal })) {
      const piece = chunk as AIMessageChunk;
      whole = whole ? whole.concat(piece) : piece;
      publisher.push(piece.text);
    }
  } finally {
    await publisher.flush();
  }
  return whole;
}
