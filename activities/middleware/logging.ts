/**
 * `loggingMiddleware`: one structured log entry per model or tool call, with duration and outcome,
 * through the activity's logger (which adds workflow id, run id, activity id, attempt and task queue).
 *
 * No message bodies unless `logPrompts` (`AGENT_LOG_PROMPTS=1`); never keys or headers.
 */
import type { ToolMessage } from '@langchain/core/messages';
import type { AIMessage, BaseMessage } from '@langchain/core/messages';
import { middlewarePriority, type AgentMiddleware, type MiddlewareContext } from './types';

export interface LoggingMiddlewareOptions {
  /** Default {@link middlewarePriority.logging}: outermost, so denials and limits are logged too. */
  priority?: number;
  enabled?: boolean;
}

export function loggingMiddleware(options: LoggingMiddlewareOptions = {}): AgentMiddleware {
  return {
    name: 'logging',
    priority: options.priority ?? middlewarePriority.logging,
    enabled: options.enabled ?? true,

    async wrapModelCall(request, handler) {
      const { context: ctx } = request;
      const started = performance.now();
      try {
        const response = await handler(request);
        const fields = {
          ...base(ctx, started),
          outcome: ctx.outcome ?? 'ok',
          ...ctx.usage,
          costUsd: ctx.costUsd,
          toolCalls: response.tool_calls?.length ?? 0,
        };
        ctx.log.info(
          'model call',
          ctx.logPrompts
            ? { ...fields, prompt: bodies(request.messages, request.systemPrompt), reply: text(response) }
            : fields,
        );
        return response;
      } catch (err) {
        const outcome = ctx.outcome ?? typeOf(err);
        // Waiting out a rate limit is expected; everything else deserves attention.
        ctx.log[outcome === 'RateLimited' ? 'info' : 'warn']('model call refused or failed', {
          ...base(ctx, started),
          outcome,
          error: (err as Error)?.message,
        });
        throw err;
      }
    },

    async wrapToolCall(request, handler) {
      const { context: ctx } = request;
      const started = performance.now();
      try {
        const response: ToolMessage = await handler(request);
        const outcome = ctx.outcome ?? (response.status === 'error' ? 'tool_error' : 'ok');
        const fields = { ...base(ctx, started), outcome };
        ctx.log.info(
          'tool call',
          ctx.logPrompts ? { ...fields, args: request.toolCall.args, result: text(response) } : fields,
        );
        return response;
      } catch (err) {
        ctx.log.warn('tool call failed', {
          ...base(ctx, started),
          outcome: ctx.outcome ?? typeOf(err),
          error: (err as Error)?.message,
        });
        throw err;
      }
    },
  };
}

function base(ctx: MiddlewareContext, started: number) {
  return {
    event: `${ctx.kind}_call`,
    agentRun: ctx.workflowId,
    user: ctx.user,
    template: ctx.template,
    step: ctx.step,
    ...(ctx.kind === 'model' ? { model: ctx.model } : { tool: ctx.tool }),
    durationMs: Math.round((performance.now() - started) * 100) / 100,
    handlerMs: ctx.timings.handlerMs,
  };
}

function typeOf(err: unknown): string {
  return (err as { type?: string })?.type ?? (err as Error)?.name ?? 'Error';
}

function text(message: AIMessage | ToolMessage): string {
  return typeof message.content === 'string' ? message.content : JSON.stringify(message.content);
}

function bodies(messages: BaseMessage[], systemPrompt?: string) {
  const list = messages.map((m) => ({
    role: m.getType(),
    content: typeof m.content === 'string' ? m.content : JSON.stringify(m.content),
  }));
  return systemPrompt ? [{ role: 'system', content: systemPrompt }, ...list] : list;
}
