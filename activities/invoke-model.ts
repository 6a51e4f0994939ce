/** The `invokeModel` activity: one LangChain model call for one agent step. */
import { Context } from '@temporalio/activity';
import { AIMessage } from '@langchain/core/messages';
import { z } from 'zod';
import { agentFailure, ErrorType, parseOrFail } from '../agents/errors';
import { modelSpecSchema } from '../agents/model-spec';
import { fetchConversation } from './conversation-fetch';
import { fromAIMessage, toLangChainMessages, type ModelReply } from './models/convert';
import { toModelFailure } from './models/errors';
import { createChatModel } from './models/factory';
import type { ProviderEnv } from './models/provider-config';
import { toolsByName } from './tools/registry';

export const invokeModelInputSchema = z.object({
  step: z.number().int().nonnegative(),
  model: z.string().min(1).max(200),
  tools: z.array(z.string()).max(50),
  /** How many messages of the workflow's conversation to send. */
  messageCount: z.number().int().positive(),
  user: z.string(),
  template: z.string(),
  timeoutMs: z.number().int().positive(),
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
        const message = await runnable.invoke(toLangChainMessages(messages), { signal: ctx.cancellationSignal });
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
