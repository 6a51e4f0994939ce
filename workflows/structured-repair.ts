/** Structured output in the loop: accept a valid answer, ask once for a repair, then fail with `OutputInvalid`. */
import { log } from '@temporalio/workflow';
import type { InvokeModelResult } from '../activities';
import type { ChatMessage } from '../agents/conversation';
import { agentFailure, ErrorType } from '../agents/errors';
import { legacyStructuredCheck } from './legacy-structured-check';

export type Verdict = { outcome: 'answer'; output: unknown } | { outcome: 'repair' };

/**
 * What to do with an answer under `schema`. The activity checked the answer against the recorded schema;
 * replies recorded before it did are checked here. A repair pushes the request for one onto `state.messages`.
 */
export function structuredVerdict(
  reply: InvokeModelResult,
  schema: Record<string, unknown>,
  state: { messages: ChatMessage[]; repairsUsed: number },
): Verdict {
  const check = reply.output ?? legacyStructuredCheck(reply.message.content, schema);
  if (check.ok) return { outcome: 'answer', output: check.value };
  if (state.repairsUsed >= 1)
    throw agentFailure(ErrorType.OutputInvalid, `Structured output still invalid after one repair: ${check.problem}`);
  state.repairsUsed++;
  log.info('Structured output invalid; asking for a repair', { problem: check.problem });
  state.messages.push({
    role: 'user',
    content: `Your answer did not satisfy the schema: ${check.problem}. Reply with only the corrected JSON.`,
  });
  return { outcome: 'repair' };
}
