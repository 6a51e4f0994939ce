/** `sliceConversation`: one page of a conversation for the `conversation` query, as runs and sessions answer it. */
import type { ChatMessage } from '../agents/conversation';
import type { ConversationSlice } from '../agents/messages';

/**
 * Query pages stay under the claim-check codec's default threshold (256 KiB), so reading a conversation
 * writes nothing to the blob store unless one message is larger; far under gRPC's 4 MB message limit too.
 */
const conversationPageBytes = 200_000;

/** Messages `from` (inclusive) to `to` (exclusive), cut short at the page size but never empty if any are asked for. */
export function sliceConversation(all: ChatMessage[], { from, to }: { from: number; to: number }): ConversationSlice {
  const start = Math.max(0, Math.min(from, all.length));
  const end = Math.max(start, Math.min(to, all.length));
  const messages: ChatMessage[] = [];
  let bytes = 0;
  for (let i = start; i < end; i++) {
    bytes += JSON.stringify(all[i]).length;
    if (messages.length > 0 && bytes > conversationPageBytes) break;
    messages.push(all[i]);
  }
  return { from: start, messages, total: all.length };
}
