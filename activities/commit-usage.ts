/**
 * The `commitUsage` activity: sends the usage commits an agent run carries to its user's ledger, in one message.
 * The run calls it (an activity task; runs recorded before patch `usage-commit-activity`, a local one) before it
 * parks or ends with commits its model calls left to it.
 */
import { z } from 'zod';
import { commitInputSchema } from '../agents/ledger-schema';
import { maxCarriedCommits } from '../agents/carried-commits';
import { parseOrFail } from '../agents/errors';
import { userIdSchema } from '../agents/run';
import type { CallMiddleware } from './call-middleware';

export const commitUsageInputSchema = z.strictObject({
  user: userIdSchema,
  commits: z.array(commitInputSchema).min(1).max(maxCarriedCommits),
});
export type CommitUsageInput = z.infer<typeof commitUsageInputSchema>;

export function createCommitUsage(calls: CallMiddleware) {
  return async function commitUsage(raw: CommitUsageInput): Promise<void> {
    const input = parseOrFail(commitUsageInputSchema, raw, 'commitUsage input');
    // Keyed by call: a retried attempt, or a model call that sent some of them already, charges nothing twice.
    await calls.ledger()?.commitAll(input.user, input.commits);
  };
}
