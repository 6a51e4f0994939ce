/**
 * `userLedgerWorkflow`: one user's shared rate-limit window, quota reservations and usage totals.
 *
 * Every worker's activities reach it with update-with-start (workflow id `ledger-<user>`), so limits hold
 * across all workers. Handlers are synchronous: each runs to the end before the next starts, which is what
 * keeps totals exact under concurrency. Deterministic code only; time is workflow time.
 */
import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  log,
  setHandler,
} from '@temporalio/workflow';
import type { Check } from '../agents/checks';
import { ErrorType } from '../agents/errors';
import {
  acquireInputCheck,
  acquireUpdate,
  admitInputCheck,
  admitManyInputCheck,
  admitManyUpdate,
  admitUpdate,
  commitInputCheck,
  commitManyInputCheck,
  commitBatchSignal,
  commitManyUpdate,
  commitSignal,
  costOf,
  emptyBucket,
  emptyTotals,
  ledgerKeyRetentionMs,
  ledgerMessageDescriptions as descriptions,
  periodEnd,
  periodKey,
  quotaPeriods,
  releaseInputCheck,
  releaseSignal,
  reserveInputCheck,
  reserveUpdate,
  usageQuery,
  type AcquireInput,
  type AcquireResult,
  type AdmitInput,
  type AdmitResult,
  type CommitInput,
  type LedgerState,
  type LedgerUsage,
  type QuotaPeriod,
  type ReserveInput,
  type ReserveResult,
  type UserLedgerInput,
  userLedgerInputCheck,
} from '../agents/ledger';
import { workflowNow } from './clock';
import { historyIsLong } from './continue-as-new';
import { internalSignal, setInternalSignalHandlers } from './internal-signals';

const defaultHistoryEventLimit = 2_000;
/** Buckets kept per period kind: 48 hours, 62 days, 13 months. */
const retainedBuckets: Record<QuotaPeriod, number> = { hour: 48, day: 62, month: 13 };

export async function userLedgerWorkflow(input: UserLedgerInput): Promise<void> {
  validator(userLedgerInputCheck, 'userLedgerWorkflow')(input);
  const ledger = new UserLedger(input.user, input.carried ?? emptyLedgerState());
  ledger.registerHandlers();
  const limit = input.historyEventLimit ?? defaultHistoryEventLimit;
  // Long-lived entity: it only ever continues as new, carrying its state.
  await condition(() => historyIsLong({ historyEventLimit: limit }));
  await condition(allHandlersFinished);
  await continueAsNew<typeof userLedgerWorkflow>({ ...input, carried: ledger.state });
}

export function emptyLedgerState(): LedgerState {
  return { grants: [], reservations: {}, committed: {}, buckets: {}, maxOutputTokens: {} };
}

/** Update validators reject bad input with `InvalidInput`; the workflow itself never fails on it. */
function validator(check: Check, what: string) {
  return (input: unknown) => {
    const problem = check(input, '');
    if (problem)
      throw ApplicationFailure.create({
        type: ErrorType.InvalidInput,
        message: `Invalid ${what} input: ${problem}`,
        nonRetryable: true,
      });
  };
}

/** Signals cannot be rejected: bad input is logged and dropped. */
function ifValid<T>(check: Check, input: T, what: string, apply: (input: T) => void): void {
  const problem = check(input, '');
  if (!problem) apply(input);
  else log.warn(`Ignoring invalid ${what} signal`, { error: problem });
}

class UserLedger {
  constructor(
    readonly user: string,
    readonly state: LedgerState,
  ) {}

  registerHandlers(): void {
    setHandler(acquireUpdate, (input) => this.acquire(input), {
      validator: validator(acquireInputCheck, 'acquire'),
      description: descriptions.acquire,
    });
    setHandler(reserveUpdate, (input) => this.reserve(input), {
      validator: validator(reserveInputCheck, 'reserve'),
      description: descriptions.reserve,
    });
    setHandler(admitUpdate, (input) => this.admit(input), {
      validator: validator(admitInputCheck, 'admit'),
      description: descriptions.admit,
    });
    setHandler(admitManyUpdate, ({ items }) => items.map((item) => this.admit(item)), {
      validator: validator(admitManyInputCheck, 'admitMany'),
      description: descriptions.admitMany,
    });
    setHandler(commitManyUpdate, ({ items }) => items.map((item) => this.commit(item)), {
      validator: validator(commitManyInputCheck, 'commitMany'),
      description: descriptions.commitMany,
    });
    // Sent by activities, never by operators: internal signals, not listed as controls in the Web UI.
    setInternalSignalHandlers(
      internalSignal(releaseSignal, (input) =>
        ifValid(releaseInputCheck, input, 'release', (ok) => this.release(ok.key)),
      ),
      internalSignal(commitSignal, (input) => ifValid(commitInputCheck, input, 'commit', (ok) => this.commit(ok))),
      internalSignal(commitBatchSignal, (input) =>
        ifValid(commitManyInputCheck, input, 'commitBatch', (ok) => ok.items.forEach((item) => this.commit(item))),
      ),
    );
    setHandler(usageQuery, () => this.usage(), { description: descriptions.usage });
  }

  acquire({ key, requests, windowMs, replace }: AcquireInput): AcquireResult {
    const now = workflowNow();
    const { state } = this;
    state.grants = state.grants.filter((g) => g.at > now - windowMs && !(replace && g.key === key));
    const earlier = state.grants.find((g) => g.key === key);
    if (earlier) return { granted: true, at: earlier.at };
    const inWindow = state.grants.length;
    if (inWindow < requests) {
      state.grants.push({ key, at: now });
      return { granted: true, at: now };
    }
    // Grants are in time order: the slot frees when the grant `requests` places from the end leaves the window.
    const freesAt = state.grants[inWindow - requests].at + windowMs;
    this.bucket('hour', now).rateLimited++;
    this.bucket('day', now).rateLimited++;
    this.bucket('month', now).rateLimited++;
    return { granted: false, retryAfterMs: Math.max(1, freesAt - now + 1), inWindow };
  }

  admit(input: AdmitInput): AdmitResult {
    const acquire = input.acquire && this.acquire(input.acquire);
    if (acquire && !acquire.granted) return { acquire };
    const reserve = input.reserve && this.reserve(input.reserve);
    // No call will be made: the slot goes back to the window.
    if (reserve && !reserve.granted && input.acquire)
      this.state.grants = this.state.grants.filter((g) => g.key !== input.acquire!.key);
    return { acquire, reserve };
  }

  reserve(input: ReserveInput): ReserveResult {
    const now = workflowNow();
    const { state } = this;
    this.dropExpiredReservations(now);
    const { period } = input.quota;
    const used = state.buckets[periodKey(period, now)] ?? emptyBucket();
    let reservedTokens = 0;
    let reservedUsd = 0;
    for (const [k, r] of Object.entries(state.reservations)) {
      if (k === input.key) continue;
      reservedTokens += r.tokens;
      reservedUsd += r.usd;
    }
    const outputTokens = state.maxOutputTokens[input.model] ?? input.defaultOutputTokens;
    const estimateTokens = input.inputTokens + outputTokens;
    const estimateUsd = costOf(input.price, { inputTokens: input.inputTokens, outputTokens, cachedTokens: 0 });
    const standing = {
      period,
      usedTokens: used.inputTokens + used.outputTokens,
      usedUsd: used.usd,
      reservedTokens,
      reservedUsd: round(reservedUsd),
      estimateTokens,
      estimateUsd,
      limitTokens: input.quota.tokens,
      limitUsd: input.quota.usd,
      resetsInMs: periodEnd(period, now) - now,
    };
    if (state.committed[input.key] !== undefined) return { granted: true, alreadyCommitted: true, ...standing };
    const { tokens, usd } = input.quota;
    const exceeded =
      tokens !== undefined && standing.usedTokens + reservedTokens + estimateTokens > tokens
        ? 'tokens'
        : usd !== undefined && standing.usedUsd + reservedUsd + estimateUsd > usd + 1e-12
          ? 'usd'
          : undefined;
    if (exceeded) {
      delete state.reservations[input.key];
      for (const p of quotaPeriods) this.bucket(p, now).quotaRefused++;
      return { granted: false, exceeded, ...standing };
    }
    // A retry re-reserves under the same key: it replaces, never adds.
    state.reservations[input.key] = {
      at: now,
      expiresAt: now + input.holdMs,
      tokens: estimateTokens,
      usd: estimateUsd,
    };
    return { granted: true, alreadyCommitted: false, ...standing };
  }

  release(key: string): void {
    delete this.state.reservations[key];
  }

  /** Returns false when the key was committed before (a retried activity): nothing is added. */
  commit(input: CommitInput): boolean {
    const now = workflowNow();
    const { state } = this;
    delete state.reservations[input.key];
    this.prune(now);
    if (state.committed[input.key] !== undefined) return false;
    state.committed[input.key] = now;
    for (const period of quotaPeriods) {
      const bucket = this.bucket(period, now);
      if (input.kind === 'denied') {
        bucket.deniedCalls++;
        continue;
      }
      addTotals(bucket, input);
      addTotals((bucket.byModel[input.name] ??= emptyTotals()), input);
    }
    if (input.kind === 'model')
      state.maxOutputTokens[input.name] = Math.max(state.maxOutputTokens[input.name] ?? 0, input.outputTokens);
    return true;
  }

  usage(): LedgerUsage {
    let tokens = 0;
    let usd = 0;
    const live = Object.values(this.state.reservations).filter((r) => r.expiresAt > workflowNow());
    for (const r of live) {
      tokens += r.tokens;
      usd += r.usd;
    }
    return { user: this.user, buckets: this.state.buckets, pending: { calls: live.length, tokens, usd: round(usd) } };
  }

  private bucket(period: QuotaPeriod, now: number) {
    return (this.state.buckets[periodKey(period, now)] ??= emptyBucket());
  }

  private dropExpiredReservations(now: number): void {
    for (const [k, r] of Object.entries(this.state.reservations))
      if (r.expiresAt <= now) delete this.state.reservations[k];
  }

  /** Keeps state bounded: old committed keys, expired reservations and old buckets go. */
  private prune(now: number): void {
    const { state } = this;
    this.dropExpiredReservations(now);
    for (const [k, at] of Object.entries(state.committed))
      if (at < now - ledgerKeyRetentionMs) delete state.committed[k];
    for (const period of quotaPeriods) {
      const keys = Object.keys(state.buckets)
        .filter((k) => k.startsWith(`${period}:`))
        .sort();
      for (const k of keys.slice(0, Math.max(0, keys.length - retainedBuckets[period]))) delete state.buckets[k];
    }
  }
}

function addTotals(
  total: { inputTokens: number; outputTokens: number; cachedTokens: number; usd: number; calls: number },
  delta: CommitInput,
): void {
  total.inputTokens += delta.inputTokens;
  total.outputTokens += delta.outputTokens;
  total.cachedTokens += delta.cachedTokens;
  total.usd = round(total.usd + delta.usd);
  total.calls++;
}

function round(usd: number): number {
  return Math.round(usd * 1e9) / 1e9;
}
