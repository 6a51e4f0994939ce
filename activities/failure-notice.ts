/**
 * Tells the run that a model-call attempt failed and Temporal will retry it, so the run records a durable
 * `retry` event while the retry is pending. Best effort: a notice that cannot be sent never changes the failure.
 */
import type { Context } from '@temporalio/activity';
import type { WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { msOptionalToNumber } from '@temporalio/common/lib/time';
import { ErrorType, nonRetryableErrorTypes } from '../agents/errors';
import { modelCallFailedSignal } from '../agents/messages';

/** Refusals the agent loop handles itself (wait, pause or fail) and reports as `middleware.rejection`. */
const admissionRefusals = new Set<string>([ErrorType.RateLimited, ErrorType.QuotaExceeded, ErrorType.PermissionDenied]);

/** Longest message sent; provider errors can quote whole request bodies. */
const maxMessageChars = 500;

export async function noticeRetryableFailure(
  ctx: Context,
  workflow: WorkflowHandle,
  step: number,
  err: unknown,
): Promise<void> {
  if (!(err instanceof ApplicationFailure) || err.nonRetryable || ctx.cancellationSignal.aborted) return;
  const type = err.type ?? 'Error';
  if ((nonRetryableErrorTypes as string[]).includes(type) || admissionRefusals.has(type)) return;
  try {
    await workflow.signal(modelCallFailedSignal, {
      step,
      attempt: ctx.info.attempt,
      errorType: type,
      message: err.message.slice(0, maxMessageChars),
      retryAfterMs: msOptionalToNumber(err.nextRetryDelay ?? undefined),
    });
  } catch (signalError) {
    ctx.log.warn('could not record the retry in the run', { error: String(signalError) });
  }
}
