/**
 * The retry policy of model and tool calls, and the wait it gives, so a retried attempt's `retry` event can say
 * how long until the next one (Temporal does not tell the workflow; a failure's own `nextRetryDelay` does win).
 */
import type { RetryPolicy } from '@temporalio/common';
import { nonRetryableErrorTypes } from '../agents/errors';

/** Exponential backoff from 1 s, doubling, at most 30 s apart. */
const backoff = { initialMs: 1000, coefficient: 2, maxMs: 30_000 };

export function retryPolicy(maximumAttempts: number): RetryPolicy {
  return {
    initialInterval: backoff.initialMs,
    backoffCoefficient: backoff.coefficient,
    maximumInterval: backoff.maxMs,
    maximumAttempts,
    nonRetryableErrorTypes,
  };
}

/** Time Temporal waits after failed attempt `attempt` (1-based) under {@link retryPolicy}. */
export function retryWaitMs(attempt: number): number {
  return Math.min(backoff.initialMs * backoff.coefficient ** (attempt - 1), backoff.maxMs);
}
