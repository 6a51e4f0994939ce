/**
 * `quotaMiddleware`: cost accounting and per-user budgets, exact across workers and retries.
 *
 * Before the call it reserves an estimate in the user's ledger (refused with `QuotaExceeded` when the
 * budget of the period could not cover it, counting other calls in flight); after the call it commits the
 * provider-reported usage and its price. Reservations and commits are keyed by `<workflowId>#<step>`, so
 * every attempt of a step re-reserves the same key and the step is charged once, whatever crashed between.
 *
 * An agent run may carry commits (`context.commits`): with no quota to hold, a reply that asks for tools leaves its
 * commit to the run, which records it with the reply and hands it to its next model call; the call that answers
 * (or one the run says may not wait) sends every carried commit and its own in one ledger message. A run's calls
 * then cost the ledger one workflow task, not one each; the run sends what it still carries before it parks or
 * ends (`commitUsage`).
 */
import { AIMessage, type BaseMessage } from '@langchain/core/messages';
import { agentFailure, ErrorType } from '../../agents/errors';
import type { CommitInput, QuotaPeriod, ReserveResult } from '../../agents/ledger';
import { acquireRequest, rateLimitRefusal } from './rate-limit';
import { middlewarePriority, type AgentMiddleware, type CallUsage } from './types';

/** Details of a `QuotaExceeded` failure, read by the agent loop. */
export interface QuotaExceededDetails {
  onExceeded: 'pause' | 'fail';
  exceeded: 'tokens' | 'usd';
  period: QuotaPeriod;
  usedTokens: number;
  usedUsd: number;
  limitTokens?: number;
  limitUsd?: number;
  /** Until the period rolls over and the budget is fresh. */
  resetsInMs: number;
}

export interface QuotaMiddlewareOptions {
  /** Default {@link middlewarePriority.quota}. */
  priority?: number;
  enabled?: boolean;
}

export function quotaMiddleware(options: QuotaMiddlewareOptions = {}): AgentMiddleware {
  return {
    name: 'quota',
    priority: options.priority ?? middlewarePriority.quota,
    enabled: options.enabled ?? true,

    async wrapModelCall(request, handler) {
      const { context: ctx } = request;
      const { ledger } = ctx;
      if (!ledger) return handler(request);
      const model = (ctx.model ?? 'unknown').split('?')[0];
      const quota = ctx.policy.quota;
      if (quota) {
        const reserve = {
          key: ctx.callKey,
          model,
          inputTokens: estimateInputTokens(request.messages, request.systemPrompt),
          defaultOutputTokens: quota.expectedOutputTokens,
          price: ctx.prices.priceOf(model),
          quota: { tokens: quota.tokens, usd: quota.usd, period: quota.period },
          holdMs: ctx.holdMs,
        };
        // With a rate limit too, both checks go in one round trip; the rate-limit middleware uses the grant.
        const acquire = ctx.rateLimitActive ? acquireRequest(ctx) : undefined;
        let standing: ReserveResult;
        if (acquire) {
          const admitted = await ledger.admit(ctx.user, { acquire, reserve });
          if (admitted.acquire && !admitted.acquire.granted) throw rateLimitRefusal(ctx, admitted.acquire);
          if (admitted.acquire?.granted) ctx.rateGrant = { at: admitted.acquire.at };
          standing = admitted.reserve!;
        } else {
          standing = await ledger.reserve(ctx.user, reserve);
        }
        if (!standing.granted) {
          ctx.outcome = ErrorType.QuotaExceeded;
          const details: QuotaExceededDetails = {
            onExceeded: quota.onExceeded,
            exceeded: standing.exceeded,
            period: standing.period,
            usedTokens: standing.usedTokens,
            usedUsd: standing.usedUsd,
            limitTokens: standing.limitTokens,
            limitUsd: standing.limitUsd,
            resetsInMs: standing.resetsInMs,
          };
          throw agentFailure(ErrorType.QuotaExceeded, quotaMessage(ctx.user, details, standing), {
            nonRetryable: true,
            details: [details],
          });
        }
      }
      let response: AIMessage;
      try {
        response = await handler(request);
      } catch (err) {
        // Nothing to charge; free the estimate for other calls now rather than when it expires.
        if (quota) await ledger.release(ctx.user, { key: ctx.callKey }).catch(() => undefined);
        throw err;
      }
      const usage = ctx.usage ?? usageOf(response);
      const usd = ctx.costUsd ?? ctx.prices.costOf(model, usage);
      const own: CommitInput = { key: ctx.callKey, kind: 'model', name: model, ...usage, usd };
      const carried = ctx.commits;
      // Nothing held for this call (no quota) and the run goes on (tools asked for): the run carries the commit.
      if (carried?.mayDefer && !quota && response.tool_calls?.length) {
        carried.deferred = own;
        return response;
      }
      const commits = carried?.pending.length ? [...carried.pending, own] : [own];
      // The provider has answered (and charged): a commit that fails while Temporal is briefly unreachable is
      // tried again rather than failing the attempt, which would make the call again on the retry.
      await commitPersistently(
        () => (commits.length === 1 ? ledger.commit(ctx.user, own) : ledger.commitAll(ctx.user, commits)),
        request.runtime.signal,
      );
      return response;
    },
  };
}

/**
 * Retries `commit` (0.5 s doubling to 5 s) until it succeeds or `signal` aborts (stop, cancel, shutdown). The
 * commit is keyed by the step, so if Temporal meanwhile gave the attempt up and retried, the step is still
 * charged once.
 */
export async function commitPersistently(commit: () => Promise<void>, signal?: AbortSignal): Promise<void> {
  for (let delayMs = 500; ; delayMs = Math.min(delayMs * 2, 5000)) {
    try {
      return await commit();
    } catch (err) {
      if (signal?.aborted) throw err;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delayMs);
        signal?.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
      });
    }
  }
}

/** Tokens as our scripted model and stub count them (4 characters a token); close enough to reserve with. */
export function estimateInputTokens(messages: BaseMessage[], systemPrompt?: string): number {
  let chars = systemPrompt?.length ?? 0;
  for (const m of messages) {
    chars += typeof m.content === 'string' ? m.content.length : JSON.stringify(m.content).length;
    const calls = AIMessage.isInstance(m) ? m.tool_calls : undefined;
    if (calls?.length) chars += JSON.stringify(calls).length;
    chars += 1;
  }
  return Math.ceil(chars / 4);
}

export function usageOf(message: AIMessage): CallUsage {
  const u = message.usage_metadata;
  return {
    inputTokens: u?.input_tokens ?? 0,
    outputTokens: u?.output_tokens ?? 0,
    cachedTokens: u?.input_token_details?.cache_read ?? 0,
  };
}

const periodAdjective: Record<QuotaPeriod, string> = { hour: 'hourly', day: 'daily', month: 'monthly' };

function quotaMessage(
  user: string,
  d: QuotaExceededDetails,
  s: { estimateTokens: number; estimateUsd: number; reservedTokens: number; reservedUsd: number },
): string {
  const what =
    d.exceeded === 'tokens'
      ? `${d.usedTokens} of ${d.limitTokens} tokens used (${s.reservedTokens} held by calls in flight, this call needs about ${s.estimateTokens})`
      : `$${d.usedUsd} of $${d.limitUsd} used ($${s.reservedUsd} held by calls in flight, this call needs about $${s.estimateUsd})`;
  return `user "${user}" reached its ${periodAdjective[d.period]} quota: ${what}; it resets in ${Math.ceil(d.resetsInMs / 60_000)} min. Raise the quota in the policy or wait, then resume the run`;
}
