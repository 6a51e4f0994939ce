/**
 * The per-user ledger's messages and wire types: rate-limit grants, quota reservations, usage commits.
 *
 * Imported by the ledger workflow (`workflows/user-ledger.ts`), by the activities' middleware that call it
 * with update-with-start, and by the client that queries usage. Safe in workflow code: message definitions,
 * plain types and small hand checks for the ledger's validators (no zod), no I/O. Times are epoch milliseconds (UTC).
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { any, arr, bool, num, obj, oneOf, optional, str } from './checks';

/** Workflow id of a user's ledger: one per user and namespace. */
export function ledgerWorkflowId(user: string): string {
  return `ledger-${user}`;
}

export const quotaPeriods = ['hour', 'day', 'month'] as const;
export type QuotaPeriod = (typeof quotaPeriods)[number];

/** USD per 1M tokens. */
export interface Price {
  input: number;
  output: number;
  /** Cached input tokens (a part of `input`); defaults to the input price. */
  cached?: number;
}
export const priceCheck = obj({ input: num({ min: 0 }), output: num({ min: 0 }), cached: optional(num({ min: 0 })) });

const key = str({ min: 1, max: 400 });
const tokens = num({ int: true, min: 0 });

export interface AcquireInput {
  /** One per activity attempt: the same key twice is granted once. */
  key: string;
  /** Requests allowed per window. */
  requests: number;
  /** Sliding window, in milliseconds. */
  windowMs: number;
  /** Give up this key's earlier grant (its call was not made) and ask again now. */
  replace?: boolean;
}
export const acquireInputCheck = obj({
  key,
  requests: num({ int: true, min: 1, max: 1_000_000 }),
  windowMs: num({ int: true, min: 1, max: 86_400_000 }),
  replace: optional(bool),
});
/** `at`: the grant's time in the ledger (workflow time, epoch ms). */
export type AcquireResult = { granted: true; at: number } | { granted: false; retryAfterMs: number; inWindow: number };

export interface QuotaLimit {
  tokens?: number;
  usd?: number;
  period: QuotaPeriod;
}
const quotaLimitCheck = obj({ tokens: optional(tokens), usd: optional(num({ min: 0 })), period: oneOf(quotaPeriods) });

export interface ReserveInput {
  /** `<workflowId>#<step>`: every attempt of a step reserves and commits under the same key. */
  key: string;
  model: string;
  /** Input tokens of this call, estimated from its messages. */
  inputTokens: number;
  /** Output tokens to expect until the ledger has seen a call of this model. */
  defaultOutputTokens: number;
  price: Price;
  quota: QuotaLimit;
  /** How long the reservation holds if never committed or released (the call's timeout), in milliseconds. */
  holdMs: number;
}
export const reserveInputCheck = obj({
  key,
  model: str({ min: 1, max: 200 }),
  inputTokens: tokens,
  defaultOutputTokens: tokens,
  price: priceCheck,
  quota: quotaLimitCheck,
  holdMs: num({ int: true, min: 1, max: 86_400_000 }),
});

export interface QuotaStanding {
  period: QuotaPeriod;
  /** Tokens and USD committed in the current period. */
  usedTokens: number;
  usedUsd: number;
  /** Held by other calls in flight. */
  reservedTokens: number;
  reservedUsd: number;
  /** What this call was expected to use. */
  estimateTokens: number;
  estimateUsd: number;
  limitTokens?: number;
  limitUsd?: number;
  /** Until the period rolls over. */
  resetsInMs: number;
}
export type ReserveResult = (
  { granted: true; alreadyCommitted: boolean } | { granted: false; exceeded: 'tokens' | 'usd' }
) &
  QuotaStanding;

/** Both checks in one update: the rate-limit grant is given back if the quota refuses, nothing is reserved if the rate limit does. */
export interface AdmitInput {
  acquire?: AcquireInput;
  reserve?: ReserveInput;
}
export const admitInputCheck = obj({ acquire: optional(acquireInputCheck), reserve: optional(reserveInputCheck) });
export interface AdmitResult {
  acquire?: AcquireResult;
  /** Absent when the rate limit refused first. */
  reserve?: ReserveResult;
}

export interface ReleaseInput {
  key: string;
}
export const releaseInputCheck = obj({ key });

export interface CommitInput {
  key: string;
  /** `model` for a model call; `denied` for a refused tool call (counted, nothing charged). */
  kind: 'model' | 'denied';
  /** Model spec, or the tool's name for `denied`. */
  name: string;
  inputTokens: number;
  outputTokens: number;
  cachedTokens: number;
  usd: number;
}
export const commitInputCheck = obj({
  key,
  kind: oneOf(['model', 'denied']),
  name: str({ min: 1, max: 200 }),
  inputTokens: tokens,
  outputTokens: tokens,
  cachedTokens: tokens,
  usd: num({ min: 0 }),
});

/** Sums over one period, also kept per model. */
export interface UsageTotals {
  inputTokens: number;
  outputTokens: number;
  cachedTokens: number;
  usd: number;
  calls: number;
}
export interface UsageBucket extends UsageTotals {
  byModel: Record<string, UsageTotals>;
  /** Tool calls refused by policy. */
  deniedCalls: number;
  /** Model calls refused by the rate limit (each refusal; a waiting run may be refused more than once). */
  rateLimited: number;
  /** Model calls refused by the quota. */
  quotaRefused: number;
}

/** Answer of `usageQuery`: every retained period bucket by {@link periodKey}, plus calls in flight. */
export interface LedgerUsage {
  user: string;
  buckets: Record<string, UsageBucket>;
  pending: { calls: number; tokens: number; usd: number };
}

/** Everything that crosses continue-as-new; plain JSON (no Maps). */
export interface LedgerState {
  grants: { key: string; at: number }[];
  reservations: Record<string, { at: number; expiresAt: number; tokens: number; usd: number }>;
  /** Committed keys and when, kept for {@link ledgerKeyRetentionMs} so retries are charged once. */
  committed: Record<string, number>;
  buckets: Record<string, UsageBucket>;
  /** Largest output of one call per model: the output estimate of the next reservation. */
  maxOutputTokens: Record<string, number>;
}

export interface UserLedgerInput {
  user: string;
  /** Continue-as-new once history has this many events. Default 2,000. */
  historyEventLimit?: number;
  carried?: LedgerState;
}
export const userLedgerInputCheck = obj(
  {
    user: str({ min: 1, max: 128, pattern: /^[A-Za-z0-9._@:-]+$/ }),
    historyEventLimit: optional(num({ int: true, min: 50, max: 40_000 })),
    carried: optional(any),
  },
  { strict: false },
);

/** A committed key is remembered this long (longer than any activity's retries). */
export const ledgerKeyRetentionMs = 2 * 3600_000;

export const acquireUpdate = defineUpdate<AcquireResult, [AcquireInput]>('acquire');
export const reserveUpdate = defineUpdate<ReserveResult, [ReserveInput]>('reserve');
export const admitUpdate = defineUpdate<AdmitResult, [AdmitInput]>('admit');
/**
 * Commit and release are signals: durable once the server has them (one write, no workflow task to wait
 * for), idempotent by key, and the caller needs no answer. A reservation keeps the budget held until the
 * commit is applied, so quota checks stay exact meanwhile. Both are internal signals (the default signal
 * handler takes them), so the Web UI does not offer them as controls.
 */
export const releaseSignal = defineSignal<[ReleaseInput]>('release');
export const commitSignal = defineSignal<[CommitInput]>('commit');

/**
 * Several admissions or commits of one user in one message: a worker sends what queued up while its previous
 * message to the ledger was in flight, so a user with many runs at once costs the ledger a few workflow tasks, not
 * one per call, and stays under Temporal's 10 updates in flight per workflow. Updates, not signals: a ledger run by
 * an older worker refuses an unknown update (the sender then sends the items one by one), where an unknown signal
 * would be dropped.
 */
export interface AdmitManyInput {
  items: AdmitInput[];
}
export interface CommitManyInput {
  items: CommitInput[];
}
export const admitManyInputCheck = obj({ items: arr(admitInputCheck, { min: 1, max: 500 }) });
export const commitManyInputCheck = obj({ items: arr(commitInputCheck, { min: 1, max: 500 }) });
export const admitManyUpdate = defineUpdate<AdmitResult[], [AdmitManyInput]>('admitMany');
/** Answers, per item, whether it was charged now (false: its key was charged before). */
export const commitManyUpdate = defineUpdate<boolean[], [CommitManyInput]>('commitMany');
/**
 * The commits one agent run carried (see `maxCarriedCommits`), in one signal: a run's calls then cost the ledger
 * one workflow task. A signal because nothing waits for an answer: an update-with-start costs the server several
 * times more. A ledger whose code predates it drops it (logged): deploy ledger code before runs that carry commits.
 */
export const commitBatchSignal = defineSignal<[CommitManyInput]>('commitBatch');
export const usageQuery = defineQuery<LedgerUsage>('usage');

/**
 * Shown by the Temporal UI next to each handler. The updates stay listed (a default update handler takes no
 * validator, and the validator is what refuses bad input without writing history), so they say they are internal.
 */
export const ledgerMessageDescriptions = {
  acquire:
    'Internal (sent by activities). Rate limit: take a slot in the sliding window { key, requests, windowMs }; returns granted or retryAfterMs.',
  reserve:
    'Internal (sent by activities). Quota: check the budget and hold an estimate for one model call { key, model, inputTokens, quota, ... }.',
  admit:
    'Internal (sent by activities). acquire and reserve in one step { acquire?, reserve? }: a refused reserve gives the grant back.',
  admitMany:
    'Internal (sent by activities). admit for several calls { items: [admit input] }, in order; one answer per item.',
  commitMany:
    'Internal (sent by activities). commit for several calls { items: [commit input] }, in order; once per key.',
  usage: 'Totals per period (hour:, day:, month: buckets), per model, and calls in flight.',
} as const;

/** `hour:2026-01-16T10`, `day:2026-01-16`, `month:2026-01` (UTC). */
export function periodKey(period: QuotaPeriod, atMs: number): string {
  const iso = new Date(atMs).toISOString();
  if (period === 'hour') return `hour:${iso.slice(0, 13)}`;
  if (period === 'day') return `day:${iso.slice(0, 10)}`;
  return `month:${iso.slice(0, 7)}`;
}

/** Start of the next period after `atMs` (UTC). */
export function periodEnd(period: QuotaPeriod, atMs: number): number {
  const d = new Date(atMs);
  if (period === 'hour') return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), d.getUTCHours() + 1);
  if (period === 'day') return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
}

/** USD for a call; cached tokens are part of `inputTokens` (as providers report them). Rounded to 1e-9. */
export function costOf(
  price: Price,
  usage: { inputTokens: number; outputTokens: number; cachedTokens: number },
): number {
  const cached = Math.min(usage.cachedTokens, usage.inputTokens);
  const usd =
    ((usage.inputTokens - cached) * price.input +
      cached * (price.cached ?? price.input) +
      usage.outputTokens * price.output) /
    1e6;
  return Math.round(usd * 1e9) / 1e9;
}

export function emptyTotals(): UsageTotals {
  return { inputTokens: 0, outputTokens: 0, cachedTokens: 0, usd: 0, calls: 0 };
}

export function emptyBucket(): UsageBucket {
  return { ...emptyTotals(), byModel: {}, deniedCalls: 0, rateLimited: 0, quotaRefused: 0 };
}
