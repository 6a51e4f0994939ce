/** Zod schemas of the ledger's wire types (`ledger.ts`), for configuration outside workflow code (prices in the policy). */
import { z } from 'zod';
import { maxCarriedCommits } from './carried-commits';
import type { CommitInput, Price } from './ledger';

/** USD per 1M tokens. */
export const priceSchema = z.strictObject({
  input: z.number().nonnegative(),
  output: z.number().nonnegative(),
  /** Cached input tokens (a part of `input`); defaults to the input price. */
  cached: z.number().nonnegative().optional(),
}) satisfies z.ZodType<Price>;

const tokenCount = z.number().int().nonnegative();

/** One call's usage for the ledger, as activities pass it on (carried commits of a run). */
export const commitInputSchema = z.strictObject({
  key: z.string().min(1).max(400),
  kind: z.enum(['model', 'denied']),
  name: z.string().min(1).max(200),
  inputTokens: tokenCount,
  outputTokens: tokenCount,
  cachedTokens: tokenCount,
  usd: z.number().nonnegative(),
}) satisfies z.ZodType<CommitInput>;

/** What a model call of an agent run carries: commits of earlier calls not yet sent, and whether it may add its own. */
export const carriedCommitsSchema = z.strictObject({
  pending: z.array(commitInputSchema).max(maxCarriedCommits),
  mayDefer: z.boolean(),
});
