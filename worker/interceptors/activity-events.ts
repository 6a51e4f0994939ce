/**
 * Activity interceptor: publishes a typed event for every model and tool call attempt (latency, tokens,
 * cost, outcome), every retry, and every rejection by middleware, to the worker's event bus.
 */
import type { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { ActivityExecuteInput, ActivityInboundCallsInterceptor, Next } from '@temporalio/worker';
import { ErrorType } from '../../agents/errors';
import type { EventBus } from '../events/event-bus';

const rejectionTypes = new Set<string>([ErrorType.PermissionDenied, ErrorType.RateLimited, ErrorType.QuotaExceeded]);

export class ActivityEventsInterceptor implements ActivityInboundCallsInterceptor {
  constructor(
    private readonly ctx: Context,
    private readonly bus: EventBus,
  ) {}

  async execute(input: ActivityExecuteInput, next: Next<ActivityInboundCallsInterceptor, 'execute'>): Promise<unknown> {
    const { activityType, attempt, workflowExecution } = this.ctx.info;
    const runId = workflowExecution?.workflowId;
    const at = () => new Date().toISOString();
    if (attempt > 1)
      this.bus.publish({ type: 'activity.retry', at: at(), runId, data: { activity: activityType, attempt } });
    const started = performance.now();
    const args = (input.args[0] ?? {}) as Record<string, unknown>;
    // One event per model or tool call attempt, whatever its outcome; a failed model call counts no tokens.
    const publishCall = (outcome: 'ok' | 'error', result?: Record<string, any>, errorType?: string) => {
      const durationSeconds = (performance.now() - started) / 1000;
      if (activityType === 'invokeModel') {
        const usage = result?.usage ?? {};
        this.bus.publish({
          type: 'activity.model_call',
          at: at(),
          runId,
          data: {
            model: String(args.model),
            template: String(args.template),
            outcome,
            ...(errorType ? { errorType } : {}),
            attempt,
            durationSeconds,
            inputTokens: usage.inputTokens ?? 0,
            outputTokens: usage.outputTokens ?? 0,
            cachedTokens: usage.cachedTokens ?? 0,
            costUsd: usage.costUsd ?? 0,
          },
        });
      } else if (activityType === 'callTool') {
        const failed = outcome === 'error' || result?.isError;
        this.bus.publish({
          type: 'activity.tool_call',
          at: at(),
          runId,
          data: { tool: String(args.name), outcome: failed ? 'error' : 'ok', durationSeconds },
        });
      }
    };
    try {
      const result = (await next(input)) as Record<string, any>;
      publishCall('ok', result);
      return result;
    } catch (err) {
      const type = err instanceof ApplicationFailure ? (err.type ?? 'Error') : 'Error';
      publishCall('error', undefined, type);
      if (rejectionTypes.has(type))
        this.bus.publish({ type: 'activity.rejected', at: at(), runId, data: { activity: activityType, kind: type } });
      throw err;
    }
  }
}
