/**
 * What a model-call activity reports while it runs (token batches, failed attempts), and the handlers that read
 * a loop's events and streamed text. A bad signal is logged, never fails the workflow. The reports are internal
 * signals (`internal-signals.ts`): not offered to operators as controls.
 */
import { log, setHandler } from '@temporalio/workflow';
import {
  eventsQuery,
  messageDescriptions,
  modelCallFailedSignal,
  modelCallFailureCheck,
  tokenDeltaCheck,
  tokenDeltasSignal,
  tokensQuery,
  type ModelCallFailure,
} from '../agents/messages';
import { internalSignal, setInternalSignalHandlers } from './internal-signals';
import type { RunEventLog } from './run-events';
import { retryWaitMs } from './retry-policy';
import type { TokenStream } from './token-stream';

/** The part of a loop these handlers see. */
export interface ObservedLoop {
  readonly events: RunEventLog;
  readonly tokens: TokenStream;
  /** Steps finished so far: reports for any other step than the next one are late. */
  readonly state: { step: number };
  isFinished(): boolean;
}

/** `events`, `tokens`, `tokenDeltas` and `modelCallFailed` for a run's one loop. */
export function registerObservationHandlers(loop: ObservedLoop): void {
  setHandler(eventsQuery, (args) => loop.events.page(args), { description: messageDescriptions.events });
  setHandler(tokensQuery, (args) => loop.tokens.page(args, loop.isFinished()), {
    description: messageDescriptions.tokens,
  });
  setModelCallReportHandlers(() => loop);
}

/** `tokenDeltas` and `modelCallFailed`, applied to the loop running the call (a session's current turn). */
export function setModelCallReportHandlers(currentLoop: () => ObservedLoop | undefined): void {
  setInternalSignalHandlers(
    internalSignal(modelCallFailedSignal, (failure) => {
      const loop = currentLoop();
      if (loop) recordRetry(loop, failure);
    }),
    internalSignal(tokenDeltasSignal, (delta) => {
      const problem = tokenDeltaCheck(delta, '');
      if (!problem)
        currentLoop()?.tokens.apply({
          step: delta.step,
          attempt: delta.attempt,
          offset: delta.offset,
          text: delta.text,
        });
      else log.warn('Ignoring malformed tokenDeltas signal', { error: problem });
    }),
  );
}

/** A retried model-call attempt becomes a durable `retry` event; a bad or late notice is logged or dropped. */
function recordRetry(loop: ObservedLoop, failure: unknown): void {
  const problem = modelCallFailureCheck(failure, '');
  if (problem) return void log.warn('Ignoring malformed modelCallFailed signal', { error: problem });
  const { step, attempt, errorType, message, retryAfterMs } = failure as ModelCallFailure;
  if (loop.isFinished() || step !== loop.state.step + 1) return;
  const waitMs = retryAfterMs ?? retryWaitMs(attempt);
  loop.events.emit('retry', {
    step,
    attempt,
    errorType,
    waitMs,
    reason: `attempt ${attempt} failed with ${errorType}: ${message}`,
  });
}
