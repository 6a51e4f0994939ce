/**
 * Admission of model calls by the user's rate limit and quota. Refusals (`RateLimited`, `QuotaExceeded`, raised by
 * the activity's middleware) either wait and try the step's call again, or fail the run, as the policy put in their
 * details. Histories without such refusals take no new commands here.
 */
import { ActivityFailure, ApplicationFailure, log, setCurrentDetails, sleep } from '@temporalio/workflow';
import type { InvokeModelInput, InvokeModelResult } from '../activities';
import { ErrorType } from '../agents/errors';
import type { RunEventLog } from './run-events';

export interface AdmissionRefusal {
  type: typeof ErrorType.RateLimited | typeof ErrorType.QuotaExceeded;
  message: string;
  details: { onLimit?: string; retryAfterMs?: number; onExceeded?: string; resetsInMs?: number };
}

export interface AdmissionHost {
  events: RunEventLog;
  /** Parks the run until resumed (or the quota period rolls over); called for a quota refusal whose policy pauses. */
  pauseForQuota(refusal: AdmissionRefusal, step: number): Promise<void>;
}

/** Calls `invoke` until it is admitted; refusals the policy does not wait out are thrown. */
export async function invokeModelAdmitted(
  invoke: (input: InvokeModelInput) => Promise<InvokeModelResult>,
  input: InvokeModelInput,
  host: AdmissionHost,
): Promise<InvokeModelResult> {
  for (;;) {
    try {
      return await invoke(input);
    } catch (err) {
      const refusal = admissionRefusal(err);
      if (!refusal) throw err;
      host.events.emit('middleware.rejection', { step: input.step, kind: refusal.type, message: refusal.message });
      if (refusal.type === ErrorType.RateLimited && refusal.details.onLimit === 'wait') {
        const waitMs = Math.max(1, refusal.details.retryAfterMs ?? 1000);
        setCurrentDetails(`step ${input.step}: rate limited, waiting ${waitMs} ms`);
        log.info('Rate limited; waiting before the model call', { step: input.step, waitMs });
        await sleep(waitMs);
      } else if (refusal.type === ErrorType.QuotaExceeded && refusal.details.onExceeded === 'pause') {
        await host.pauseForQuota(refusal, input.step);
      } else {
        throw err;
      }
    }
  }
}

/** A rate-limit or quota refusal from the model-call activity, with the details its middleware attached. */
function admissionRefusal(err: unknown): AdmissionRefusal | undefined {
  if (!(err instanceof ActivityFailure) || !(err.cause instanceof ApplicationFailure)) return undefined;
  const { type, message, details } = err.cause;
  if (type !== ErrorType.RateLimited && type !== ErrorType.QuotaExceeded) return undefined;
  return { type, message, details: (details?.[0] ?? {}) as AdmissionRefusal['details'] };
}
