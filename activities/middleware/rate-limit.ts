/**
 * `rateLimitMiddleware`: per-user sliding window of model calls, shared by every worker through the
 * user's ledger workflow. Over the limit, the call is refused with `RateLimited` (not retried by the
 * activity); the details tell the agent loop how long to wait and whether to wait (a durable timer) or fail.
 */
import type { ApplicationFailure } from '@temporalio/common';
import { agentFailure, ErrorType } from '../../agents/errors';
import type { AcquireInput, AcquireResult } from '../../agents/ledger';
import { middlewarePriority, type AgentMiddleware, type MiddlewareContext } from './types';

/** Details of a `RateLimited` failure, read by the agent loop. */
export interface RateLimitedDetails {
  retryAfterMs: number;
  onLimit: 'wait' | 'fail';
  requests: number;
  windowSeconds: number;
}

/** Share of the guard a grant's round trip may use; the rest covers sending the request. */
const lateShare = 0.8;
const maxRegrants = 5;

export interface RateLimitMiddlewareOptions {
  /** Default {@link middlewarePriority.rateLimit}: innermost, so the grant is as close to the provider call as can be. */
  priority?: number;
  enabled?: boolean;
}

export function rateLimitMiddleware(options: RateLimitMiddlewareOptions = {}): AgentMiddleware {
  return {
    name: 'rate-limit',
    priority: options.priority ?? middlewarePriority.rateLimit,
    enabled: options.enabled ?? true,

    async wrapModelCall(request, handler) {
      const { context: ctx } = request;
      const acquire = acquireRequest(ctx);
      if (!acquire || !ctx.ledger) return handler(request);
      // The quota middleware may have asked for the grant already, in the same round trip as its reservation.
      let grant: AcquireResult = ctx.rateGrant
        ? { granted: true, at: ctx.rateGrant.at }
        : await ctx.ledger.acquire(ctx.user, acquire);
      // The ledger counts a call from its grant; the provider sees it when the answer got back here. A grant
      // that comes back later than the guard could let a later call land in the same provider window, so it
      // is given back and asked again (a slow round trip under load), a few times at most.
      const guardMs = ctx.policy.rateLimit!.guardMs;
      for (
        let retry = 1;
        grant.granted && Date.now() - grant.at > guardMs * lateShare && retry <= maxRegrants;
        retry++
      ) {
        ctx.log.debug('rate-limit grant came back late; asking again', { lateMs: Date.now() - grant.at, retry });
        grant = await ctx.ledger.acquire(ctx.user, { ...acquire, replace: true });
      }
      if (!grant.granted) throw rateLimitRefusal(ctx, grant);
      return handler(request);
    },
  };
}

/** The ledger request for this call under the user's rate limit; undefined when the user has none. */
export function acquireRequest(ctx: MiddlewareContext): AcquireInput | undefined {
  const limit = ctx.policy.rateLimit;
  if (!limit) return undefined;
  return {
    key: `${ctx.callKey}#${ctx.attemptId}`,
    requests: limit.requests,
    windowMs: Math.round(limit.windowSeconds * 1000) + limit.guardMs,
  };
}

/** `RateLimited`, not retried by the activity; its details tell the agent loop to wait or fail. */
export function rateLimitRefusal(ctx: MiddlewareContext, refused: { retryAfterMs: number }): ApplicationFailure {
  const limit = ctx.policy.rateLimit!;
  ctx.outcome = ErrorType.RateLimited;
  const details: RateLimitedDetails = {
    retryAfterMs: refused.retryAfterMs,
    onLimit: limit.onLimit,
    requests: limit.requests,
    windowSeconds: limit.windowSeconds,
  };
  return agentFailure(
    ErrorType.RateLimited,
    `user "${ctx.user}" reached its rate limit of ${limit.requests} model calls per ${limit.windowSeconds} s; a slot frees in ${refused.retryAfterMs} ms` +
      (limit.onLimit === 'fail' ? ' (the policy says fail; set onLimit "wait" to wait instead)' : ''),
    { nonRetryable: true, details: [details] },
  );
}
