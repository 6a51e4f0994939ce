/**
 * Reads a run's conversation from its workflow by query, in pages.
 *
 * This is what keeps history linear: model-call inputs carry a message count, not the messages,
 * so each message is written to history once (when it is produced) instead of once per later step.
 */
import type { Client } from '@temporalio/client';
import type { ChatMessage } from '../agents/conversation';
import { agentFailure, ErrorType } from '../agents/errors';
import { conversationQuery } from '../agents/messages';

export async function fetchConversation(client: Client, workflowId: string, runId: string, count: number): Promise<ChatMessage[]> {
  const handle = client.workflow.getHandle(workflowId, runId);
  const messages: ChatMessage[] = [];
  while (messages.length < count) {
    const page = await handle.query(conversationQuery, { from: messages.length, to: count });
    if (page.from !== messages.length || page.messages.length === 0) {
      throw agentFailure(ErrorType.InvalidInput, `conversation of ${workflowId} has ${page.total} messages, expected ${count}`, { nonRetryable: false });
    }
    messages.push(...page.messages);
  }
  return messages;
}
