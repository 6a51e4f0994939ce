/**
 * What a run recorded, read from outside: the input it was started with (`recordedRunInput`, from the first event
 * of its current Temporal run, decoded by the client's data converter, codecs included) and its conversation
 * (`readConversation`, by query, in pages).
 *
 * Continue-as-new starts the next run with the same input plus carried state, so any run of the chain holds the
 * recorded spec, model, user and options.
 */
import type { WorkflowHandle } from '@temporalio/client';
import type { Payload } from '@temporalio/common';
import { AgentError, ErrorType } from '../agents/errors';
import type { ChatMessage } from '../agents/conversation';
import { conversationQuery } from '../agents/messages';
import type { RunInput } from '../agents/run';
import type { RunSpec } from '../agents/run-spec';
import { isRunWorkflowType } from '../agents/run-workflow-type';
import { resolveRunInput } from '../workflows/run-input';
import { toAgentError } from './errors';

export interface RecordedRun {
  input: RunInput;
  /** The recorded spec; for inputs of older clients, resolved as the workflow resolves it. */
  spec: RunSpec;
}

export async function recordedRunInput(handle: WorkflowHandle): Promise<RecordedRun> {
  const { client, workflowId } = handle;
  const response = await client.workflowService
    .getWorkflowExecutionHistory({ namespace: client.options.namespace, execution: { workflowId }, maximumPageSize: 1 })
    .catch((err: unknown) => Promise.reject(toAgentError(err, workflowId)));
  const started = response.history?.events?.[0]?.workflowExecutionStartedEventAttributes;
  if (!started || !isRunWorkflowType(started.workflowType?.name ?? undefined))
    throw new AgentError(ErrorType.NotFound, `${workflowId} is not an agent run`);
  const [input] = await decodePayloads(handle, (started.input?.payloads ?? []) as Payload[]);
  const resolution = resolveRunInput(input as RunInput);
  if (!resolution.ok)
    throw new AgentError(resolution.type, `Run ${workflowId} has an input its workflow refuses: ${resolution.message}`);
  return { input: input as RunInput, spec: resolution.spec };
}

/** Codecs decode in reverse order of encoding, then the payload converter (as the SDK does for results). */
async function decodePayloads(handle: WorkflowHandle, payloads: Payload[]): Promise<unknown[]> {
  const { payloadCodecs, payloadConverter } = handle.client.options.loadedDataConverter;
  let decoded = payloads;
  for (const codec of [...payloadCodecs].reverse()) decoded = await codec.decode(decoded);
  return decoded.map((payload) => payloadConverter.fromPayload(payload));
}

/** The whole conversation the run holds now, page by page (pages stay under the query size limits). */
export async function readConversation(handle: WorkflowHandle): Promise<ChatMessage[]> {
  const messages: ChatMessage[] = [];
  try {
    for (;;) {
      const page = await handle.query(conversationQuery, { from: messages.length, to: Number.MAX_SAFE_INTEGER });
      messages.push(...page.messages);
      if (page.messages.length === 0 || messages.length >= page.total) return messages;
    }
  } catch (err) {
    throw toAgentError(err, handle.workflowId);
  }
}
