/** The `invokeModel` activity: one LangChain model call for one agent step. */
import { randomUUID } from 'node:crypto';
import { Context } from '@temporalio/activity';
import { SystemMessage, type AIMessage, type AIMessageChunk, type BaseMessage } from '@langchain/core/messages';
import type { Runnable } from '@langchain/core/runnables';
import { z } from 'zod';
import { chatMessageSchema, toolCallSchema } from '../agents/conversation-schema';
import { needsApproval, type ApprovalOptions } from '../agents/approval';
import { agentFailure, describeZodError, ErrorType, parseOrFail } from '../agents/errors';
import type { CommitInput } from '../agents/ledger';
import { carriedCommitsSchema } from '../agents/ledger-schema';
import { modelSpecSchema } from '../agents/model-spec-schema';
import { fetchConversation, modelCallSpecSchema, rememberConversation } from './conversation-fetch';
import { startHeartbeats } from './heartbeats';
import { fromAIMessage, toLangChainMessages, type ModelReply } from './models/convert';
import { toModelFailure } from './models/errors';
import { bindToolsShared } from './models/bound-tools';
import { createChatModel, withCallHeaders } from './models/factory';
import type { ProviderEnv } from './models/provider-config';
import { toolsByName } from './tools/registry';
import { checkStructuredAnswer } from '../agents/structured-output-schema';
import type { StructuredCheck } from '../agents/structured-output';
import type { ModelCallSpec } from '../agents/messages';
import { TokenPublisher } from './token-publisher';
import { noticeRetryableFailure } from './failure-notice';
import type { CallMiddleware } from './call-middleware';
import { usageOf } from './middleware/quota';
import type { ModelCallRequest, ModelTool } from './middleware/types';

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
  /** The messages added since the previous model call (from index `from` to `messageCount`); saves the query. */
  tail: z
    .object({
      from: z.number().int().nonnegative(),
      /**
       * The `replyId` of the reply the tail follows: another worker's reply to the same step is not this one's.
       * Empty for the first call of a run: the tail is then the whole conversation (`from` 0) with the run's spec.
       */
      after: z.string().max(100),
      messages: z.array(chatMessageSchema).max(100),
      spec: modelCallSpecSchema.optional(),
    })
    .optional(),
  /** Agent runs: usage commits of earlier calls the run still carries (see `quotaMiddleware`). */
  commits: carriedCommitsSchema.optional(),
});
export type InvokeModelInput = z.infer<typeof invokeModelInputSchema>;

export interface InvokeModelResult extends Omit<ModelReply, 'invalidToolCalls' | 'usage'> {
  /** Provider-reported tokens and their price (USD). */
  usage: ModelReply['usage'] & { costUsd: number };
  model: string;
  durationMs: number;
  /** For runs with structured output: the answer checked against the recorded schema (absent when it asked for tools). */
  output?: StructuredCheck;
  /** Names this reply for the next call's `tail`: absent from older workers' results. */
  replyId?: string;
  /**
   * The approval rule of the user's roles (policy file) when a tool call of the reply falls under it: recorded with
   * the reply, so the workflow gates the calls on replay exactly as it did, whatever the policy says by then.
   */
  approval?: ApprovalOptions;
  /**
   * This call's usage commit, left to the run to carry (input `commits`): the ledger has not seen it, nor the
   * carried ones. Absent: the ledger has this call and every carried commit (or keeps no usage).
   */
  deferredCommit?: CommitInput;
}

export interface InvokeModelDeps {
  providerEnv: ProviderEnv;
  /** Interval between heartbeats while the call runs. Default 1,000 ms. */
  heartbeatIntervalMs?: number;
}

export function createInvokeModel(deps: InvokeModelDeps, calls: CallMiddleware) {
  return async function invokeModel(raw: InvokeModelInput): Promise<InvokeModelResult> {
    const input = parseOrFail(invokeModelInputSchema, raw, 'invokeModel input');
    const ctx = Context.current();
    const spec = parseOrFail(modelSpecSchema, input.model, 'model spec');
    const execution = ctx.info.workflowExecution;
    if (!execution)
      throw agentFailure(ErrorType.InvalidInput, 'invokeModel runs only as an activity of an agent workflow');
    const { workflowId, runId } = execution;
    const started = Date.now();

    // Heartbeats let a stop or cancel reach this call within seconds, and let Temporal see a dead worker.
    const stopHeartbeats = startHeartbeats(ctx, { phase: 'calling' }, deps.heartbeatIntervalMs);
    try {
      const { messages, spec: recorded } = await fetchConversation(
        ctx.client,
        workflowId,
        runId,
        input.messageCount,
        input.template,
        input.tail,
      );
      const chat = createChatModel(spec, deps.providerEnv, {
        // A little under the activity's start-to-close timeout, so a hung provider fails as a typed, retried
        // ModelUnavailable (recorded as a `retry` event) instead of a bare Temporal timeout.
        timeoutMs: input.timeoutMs - Math.min(2000, Math.floor(input.timeoutMs / 4)),
      });
      const lcMessages = toLangChainMessages(messages);
      // Auth, quota, rate limit and logging wrap the call (activities/middleware); typed failures pass through.
      const { context, toggles } = calls.context({
        kind: 'model',
        step: input.step,
        user: input.user,
        template: input.template,
        model: spec.spec,
        callKey: `${workflowId}#${input.step}`,
      });
      if (input.commits) context.commits = { ...input.commits };
      const publisher = input.stream
        ? new TokenPublisher(
            ctx.client.workflow.getHandle(workflowId, runId),
            input.step,
            ctx.info.attempt,
            200,
            (err) => ctx.log.warn('token batch not delivered', { error: String(err) }),
          )
        : undefined;
      let reply: ModelReply;
      try {
        // The provider's logs (and the stub's faults) tell calls apart by these; never secrets.
        const headers = {
          'x-agent-run': workflowId,
          'x-agent-step': String(input.step),
          'x-agent-attempt': String(ctx.info.attempt),
        };
        const message = await withCallHeaders(headers, () =>
          calls.pipeline.modelCall(
            callModel,
            toggles,
          )({
            model: chat,
            messages: lcMessages,
            tools: modelTools(recorded, input.tools),
            state: { messages: lcMessages },
            runtime: { context, signal: ctx.cancellationSignal },
            context,
            onToken: publisher && ((text) => publisher.push(text)),
          }),
        );
        reply = fromAIMessage(message);
      } catch (err) {
        if (ctx.cancellationSignal.aborted) throw ctx.cancellationSignal.reason ?? err;
        throw toModelFailure(err, spec.spec);
      } finally {
        await publisher?.flush();
      }
      if (reply.invalidToolCalls > 0) {
        throw agentFailure(
          ErrorType.ModelOutputInvalid,
          `${spec.spec} sent ${reply.invalidToolCalls} tool call(s) with unparseable arguments`,
        );
      }
      // Parseable but the wrong shape (arguments an array, a name too long): the model's fault, so retried like
      // unparseable ones, rather than recorded and then refused by the tool-call activity, failing the run.
      const misshapen = (reply.message.toolCalls ?? [])
        .map((call) => toolCallSchema.safeParse(call))
        .find((parsed) => !parsed.success);
      if (misshapen) {
        throw agentFailure(
          ErrorType.ModelOutputInvalid,
          `${spec.spec} sent a tool call of the wrong shape: ${describeZodError(misshapen.error!)}`,
        );
      }
      const costUsd = context.costUsd ?? context.prices.costOf(spec.spec, reply.usage);
      // The workflow decides repair or failure; the check needs zod, which stays out of workflow code.
      const answered = !reply.message.toolCalls?.length;
      const output =
        answered && recorded?.outputSchema
          ? checkStructuredAnswer(reply.message.content, recorded.outputSchema)
          : undefined;
      // The workflow appends this reply as is: the next call's tail continues from here.
      const replyId = randomUUID();
      rememberConversation(runId, replyId, [...messages, reply.message]);
      // Only when it matters: replies that ask for no gated tool record nothing more than before.
      const roleApproval = context.policy.approval;
      const approval =
        roleApproval && reply.message.toolCalls?.some((call) => needsApproval(roleApproval, call.name))
          ? roleApproval
          : undefined;
      return {
        replyId,
        message: reply.message,
        usage: { ...reply.usage, costUsd },
        model: spec.spec,
        durationMs: Date.now() - started,
        ...(output ? { output } : {}),
        ...(approval ? { approval } : {}),
        ...(context.commits?.deferred ? { deferredCommit: context.commits.deferred } : {}),
      };
    } catch (err) {
      // Before failing, so the run's `retry` event is in history ahead of the next attempt.
      await noticeRetryableFailure(ctx, ctx.client.workflow.getHandle(workflowId, runId), input.step, err);
      throw err;
    } finally {
      stopHeartbeats();
    }
  };
}

/**
 * What the model may call: the definitions the run recorded at start (so a tool changed or removed since does not
 * change the run), else, for sessions and runs started without a spec, the worker's built-in tools by name.
 */
function modelTools(recorded: ModelCallSpec | undefined, names: string[]): ModelTool[] {
  if (!recorded?.tools) return toolsByName(names);
  return recorded.tools.map((tool) => ({
    type: 'function',
    function: { name: tool.name, description: tool.description, parameters: tool.parameters },
  }));
}

/**
 * The innermost handler: the LangChain call itself, as the request (possibly changed by middleware) says.
 * Provider errors become typed failures here, so middleware sees `ModelRateLimited`, `ModelRejected`, ...
 */
async function callModel(request: ModelCallRequest): Promise<AIMessage> {
  const { context: ctx, runtime } = request;
  const started = performance.now();
  const runnable =
    request.tools.length > 0 ? bindToolsShared(request.model, request.tools, request.toolChoice) : request.model;
  const messages = request.systemPrompt
    ? [new SystemMessage(request.systemPrompt), ...request.messages]
    : request.messages;
  let message: AIMessage | undefined;
  try {
    message = request.onToken
      ? await streamReply(runnable, messages, request.onToken, runtime.signal)
      : ((await runnable.invoke(messages, { signal: runtime.signal })) as AIMessage);
  } catch (err) {
    if (runtime.signal?.aborted) throw runtime.signal.reason ?? err;
    throw toModelFailure(err, ctx.model ?? 'model');
  } finally {
    ctx.timings.handlerMs = performance.now() - started;
  }
  if (!message) throw agentFailure(ErrorType.ModelOutputInvalid, `${ctx.model} streamed no message`);
  ctx.usage = usageOf(message);
  ctx.costUsd = ctx.prices.costOf(ctx.model ?? '', ctx.usage);
  return message;
}

/** Streams the call, forwarding text as it comes, and returns the whole message. */
async function streamReply(
  runnable: Runnable<BaseMessage[], unknown>,
  messages: BaseMessage[],
  onToken: (text: string) => void,
  signal?: AbortSignal,
): Promise<AIMessage | undefined> {
  let whole: AIMessageChunk | undefined;
  for await (const chunk of await runnable.stream(messages, { signal })) {
    const piece = chunk as AIMessageChunk;
    whole = whole ? whole.concat(piece) : piece;
    onToken(piece.text);
  }
  return whole as AIMessage | undefined;
}
