/**
 * Reads a run's conversation from its workflow by query, in pages, with the run's recorded model-call spec.
 *
 * This is what keeps history linear: model-call inputs carry a message count, not the messages (nor the tool
 * schemas), so each message is written to history once (when it is produced) instead of once per later step.
 * The worker also keeps each run's conversation as its last model call left it: with the few messages added since
 * (the input's `tail`) it has the whole conversation without a query, when that call was made here.
 */
import type { Client } from '@temporalio/client';
import { z } from 'zod';
import { charsOf, type ChatMessage } from '../agents/conversation';
import { agentFailure, describeZodError, ErrorType } from '../agents/errors';
import { conversationQuery, type ModelCallSpec } from '../agents/messages';
import { toolDefinitionSchema } from '../agents/run';

export interface FetchedConversation {
  messages: ChatMessage[];
  /** The run's recorded spec; undefined for sessions and runs started without one. */
  spec?: ModelCallSpec;
}

export const modelCallSpecSchema = z.object({
  tools: z.array(toolDefinitionSchema).optional(),
  outputSchema: z.record(z.string(), z.unknown()).optional(),
});

/**
 * Specs by Temporal run id and current template. A spec changes during a workflow run only when the run hands
 * over to another template (agents/handoffs.ts), so each run's is read once per template per worker; bounded so a
 * worker holding many runs keeps only the recent ones.
 */
const specCache = new Map<string, ModelCallSpec | undefined>();
const specCacheSize = 1_000;

export async function fetchConversation(
  client: Client,
  workflowId: string,
  runId: string,
  count: number,
  /** The template the run is under now (the model-call input's `template`). */
  template?: string,
  tail?: { from: number; after: string; messages: ChatMessage[]; spec?: ModelCallSpec },
): Promise<FetchedConversation> {
  const key = template === undefined ? runId : `${runId}#${template}`;
  // The first call of a run, carrying its opening messages and spec: nothing to read.
  if (tail && tail.from === 0 && tail.after === '' && tail.messages.length === count)
    return { messages: tail.messages, spec: remember(key, tail.spec) };
  const known = conversations.get(runId);
  if (
    tail &&
    known?.replyId === tail.after &&
    known.messages.length === tail.from &&
    tail.from + tail.messages.length === count &&
    specCache.has(key)
  )
    return { messages: [...known.messages, ...tail.messages], spec: specCache.get(key) };
  const handle = client.workflow.getHandle(workflowId, runId);
  const messages: ChatMessage[] = [];
  const cached = specCache.has(key);
  let spec = specCache.get(key);
  while (messages.length < count) {
    const withSpec = !cached && messages.length === 0;
    const page = await handle.query(conversationQuery, {
      from: messages.length,
      to: count,
      ...(withSpec ? { withSpec } : {}),
    });
    if (page.from !== messages.length || page.messages.length === 0) {
      throw agentFailure(
        ErrorType.InvalidInput,
        `conversation of ${workflowId} has ${page.total} messages, expected ${count}`,
        { nonRetryable: false },
      );
    }
    if (withSpec) spec = remember(key, page.spec === undefined ? undefined : parseSpec(page.spec, workflowId));
    messages.push(...page.messages);
  }
  return { messages, spec };
}

function parseSpec(raw: unknown, workflowId: string): ModelCallSpec {
  const parsed = modelCallSpecSchema.safeParse(raw);
  if (!parsed.success)
    throw agentFailure(ErrorType.InvalidInput, `spec of ${workflowId} is malformed: ${describeZodError(parsed.error)}`);
  return parsed.data;
}

function remember(key: string, spec: ModelCallSpec | undefined): ModelCallSpec | undefined {
  if (specCache.size >= specCacheSize) specCache.delete(specCache.keys().next().value!);
  specCache.set(key, spec);
  return spec;
}

/**
 * Conversations by Temporal run id, as each run's last model call on this worker left them (its messages and its
 * reply). Bounded by total size, oldest first, so a worker holding many long conversations keeps only the recent.
 */
const conversations = new Map<string, { replyId: string; messages: ChatMessage[] }>();
const conversationSizes = new Map<string, number>();
let conversationChars = 0;
const maxConversationChars = 32_000_000;

export function rememberConversation(runId: string, replyId: string, messages: ChatMessage[]): void {
  forget(runId);
  const size = charsOf(messages);
  if (size > maxConversationChars / 4) return;
  while (conversationChars + size > maxConversationChars && conversations.size > 0)
    forget(conversations.keys().next().value!);
  conversations.set(runId, { replyId, messages });
  conversationSizes.set(runId, size);
  conversationChars += size;
}

function forget(runId: string): void {
  const size = conversationSizes.get(runId);
  if (size === undefined) return;
  conversations.delete(runId);
  conversationSizes.delete(runId);
  conversationChars -= size;
}
