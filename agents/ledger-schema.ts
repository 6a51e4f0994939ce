/** Zod schemas of the ledger's wire types (`ledger.ts`), for configuration outside workflow code (prices in the policy). */
import { z } from 'zod';
import type { Price } from './ledger';

/** USD per 1M tokens. */
export const priceSchema = z.strictObject({
  input: z.number().nonnegative(),
  output: z.number().nonnegative(),
  /** Cached input tokens (a part of `input`); defaults to the input price. */
  cached: z.number().nonnegative().optional(),
}) satisfies z.ZodType<Price>;
