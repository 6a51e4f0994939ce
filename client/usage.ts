/**
 * Per-user usage from the user's ledger workflow (`ledger-<user>`): tokens, cost, calls and refusals in
 * the current hour, day and month (UTC), per model, and calls in flight.
 */
import type { Client } from '@temporalio/client';
import { AgentError, ErrorType, describeZodError } from '../agents/errors';
import {
  emptyBucket,
  ledgerWorkflowId,
  periodKey,
  quotaPeriods,
  usageQuery,
  type QuotaPeriod,
  type UsageBucket,
} from '../agents/ledger';
import { userIdSchema } from '../agents/run';
import { isNotFound } from './errors';

export interface PeriodUsage extends UsageBucket {
  /** The period, e.g. `day:2026-01-16`. */
  key: string;
  /** Input + output tokens. */
  totalTokens: number;
}

export interface UserUsage {
  user: string;
  /** When these totals were read (ISO 8601); periods are the ones current at that time. */
  asOf: string;
  hour: PeriodUsage;
  day: PeriodUsage;
  month: PeriodUsage;
  /** Model calls in flight: reserved against the quota, not yet charged. */
  pending: { calls: number; tokens: number; usd: number };
}

/**
 * The user's usage; zeros for a user who never made a call.
 *
 * @example
 * const { day } = await userUsage(client, 'alice');
 * console.log(`${day.totalTokens} tokens, $${day.usd} today`);
 */
export async function userUsage(client: Client, user: string, now = Date.now()): Promise<UserUsage> {
  const parsed = userIdSchema.safeParse(user);
  if (!parsed.success)
    throw new AgentError(ErrorType.InvalidInput, `Invalid user id: ${describeZodError(parsed.error)}`);
  let buckets: Record<string, UsageBucket> = {};
  let pending = { calls: 0, tokens: 0, usd: 0 };
  try {
    ({ buckets, pending } = await client.workflow.getHandle(ledgerWorkflowId(user)).query(usageQuery));
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  const period = (p: QuotaPeriod): PeriodUsage => {
    const key = periodKey(p, now);
    const bucket = buckets[key] ?? emptyBucket();
    return { key, ...bucket, totalTokens: bucket.inputTokens + bucket.outputTokens };
  };
  const [hour, day, month] = quotaPeriods.map(period);
  return { user, asOf: new Date(now).toISOString(), hour, day, month, pending };
}
