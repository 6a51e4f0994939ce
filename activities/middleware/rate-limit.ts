/**
 * `rateLimitMiddleware`: per-user sliding window of model calls, shared by every worker through the
 * user's ledger workflow. Over the limit, the call is refused with `RateLimited` (not retried by the
 * activity); the details tell the agent loop how long to wait and whether to wait (a durable timer) or fail.
 */
import { agentFailure, ErrorType } from '../../agents/errors';
import { middlewarePriority, type AgentMiddleware } from './types';

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
      const limit = ctx.policy.rateLimit;
      if (!limit || !ctx.ledger) return handler(request);
      const windowMs = Math.round(limit.windowSeconds * 1000) + limit.guardMs;
      const acquire = { key: `${ctx.callKey}#${ctx.attemptId}`, requests: limit.requests, windowMs };
      let grant = await ctx.ledger.acquire(ctx.user, acquire);
      // The ledger counts a call from its grant; the provider sees it when the answer got back here. A grant
      // that comes back later than the guard could let a later call land in the same provider window, so it
      // is given back and asked again (a slow round trip under load), a few times at most.
      for (let retry = 1; grant.granted && Date.now() - grant.at > limit.guardMs * lateShare && retry <= maxRegrants; retry++) {
        ctx.log.debug('rate-limit grant came back late; asking again', { lateMs: Date.now() - grant.at, retry });
        grant = await ctx.ledger.acquire(ctx.user, { ...acquire, replace: true });
      }
      if (!grant.granted) {
        ctx.outcome = ErrorType.RateLimited;
        const details: RateLimitedDetails = { retryAfterMs: grant.retryAfterMs, onLimit: limit.onLimit, requests: limit.requests, windowSeconds: limit.windowSeconds };
        throw agentFailure(
          ErrorType.RateLimited,
          `user "${ctx.user}" reached its rate limit of ${limit.requests} model calls per ${limit.windowSeconds} s; a slot frees in ${grant.retryAfterMs} ms` +
            (limit.onLimit === 'fail' ? ' (the policy says fail; set onLimit "wait" to wait instead)' : ''),
          { nonRetryable: true, details: [details] },
        );
      }
      return handler(request);
    },
  };
}
