/**
 * Maps provider errors to our typed failures: throttling and outages are retried by Temporal
 * (honouring Retry-After), refusals are not. LangChain's own retries are off so Temporal owns them.
 */
import { ApplicationFailure } from '@temporalio/common';
import { agentFailure, ErrorType } from '../../agents/errors';

/** HTTP status of a provider error, wherever the SDK put it. */
export function statusOf(err: unknown): number | undefined {
  const e = err as { status?: unknown; response?: { status?: unknown }; cause?: unknown } | undefined;
  const status = e?.status ?? e?.response?.status;
  if (typeof status === 'number') return status;
  return e?.cause && e.cause !== err ? statusOf(e.cause) : undefined;
}

/** Seconds from a Retry-After header (seconds or HTTP date), if the error carries one. */
export function retryAfterSeconds(err: unknown): number | undefined {
  const headers =
    (err as { headers?: unknown; response?: { headers?: unknown } })?.headers ?? (err as any)?.response?.headers;
  let value: unknown;
  if (headers && typeof (headers as Headers).get === 'function') value = (headers as Headers).get('retry-after');
  else if (headers && typeof headers === 'object') value = (headers as Record<string, unknown>)['retry-after'];
  if (typeof value !== 'string' || value === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds);
  const date = Date.parse(value);
  return Number.isFinite(date) ? Math.max(0, (date - Date.now()) / 1000) : undefined;
}

export function toModelFailure(err: unknown, model: string): ApplicationFailure {
  // Already typed by us (middleware, validation): keep it.
  if (err instanceof ApplicationFailure) return err;
  const message = err instanceof Error ? err.message : String(err);
  const cause = err instanceof Error ? err : undefined;
  const status = statusOf(err);
  // OpenAI's "insufficient_quota" is a 429 that no retry will fix.
  if (status === 429 && (err as { code?: unknown })?.code === 'insufficient_quota') {
    return agentFailure(ErrorType.ModelRejected, `${model} account is out of quota: ${message}`, { cause });
  }
  if (status === 429) {
    const retryAfter = retryAfterSeconds(err);
    return agentFailure(ErrorType.ModelRateLimited, `${model} throttled the call (429): ${message}`, {
      cause,
      nextRetryDelay: retryAfter !== undefined ? `${Math.ceil(retryAfter * 1000)}ms` : undefined,
    });
  }
  if (status !== undefined && status >= 400 && status < 500 && status !== 408 && status !== 409) {
    return agentFailure(ErrorType.ModelRejected, `${model} refused the call (${status}): ${message}`, { cause });
  }
  if (
    err instanceof SyntaxError ||
    (/JSON/i.test(message) &&
      status === undefined &&
      !/timed? ?out|ECONN|socket|terminated|fetch failed/i.test(message))
  ) {
    return agentFailure(ErrorType.ModelOutputInvalid, `${model} sent a response we could not parse: ${message}`, {
      cause,
    });
  }
  return agentFailure(ErrorType.ModelUnavailable, `${model} call failed${status ? ` (${status})` : ''}: ${message}`, {
    cause,
  });
}
