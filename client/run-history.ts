/**
 * `runHistory`: one row per finished step of a run (model, tokens, cost, tool calls, whether it answered), to
 * choose the step to fork from. Read from the run's durable events (usage per model call) and its conversation
 * (tool calls with their arguments); works while it runs, after it ended and across continue-as-new.
 */
import type { WorkflowHandle } from '@temporalio/client';
import type { RunEvent, RunEventData } from '../agents/events';
import { eventsQuery, stateQuery } from '../agents/messages';
import type { RunStatus } from '../agents/run';
import { conversationSteps, type ConversationStep } from '../agents/run-steps';
import { toAgentError } from './errors';
import { readConversation, recordedRunInput } from './run-record';

/** Characters of a tool call's arguments (as JSON) a history row keeps. */
export const historyArgsChars = 200;

export interface StepToolCall {
  id: string;
  name: string;
  /** The arguments as JSON, clipped to {@link historyArgsChars} characters (ending `...` when clipped). */
  args: string;
  /** The tool failed, was refused, or the call was rejected by a person. */
  isError: boolean;
}

export interface StepRecord {
  step: number;
  /** A step a fork took over from its source (see the source's history for its model call). */
  inherited?: true;
  /**
   * The model call of the step, from its `model.call` event. Absent when the run no longer holds that event (it
   * keeps its newest 500) and for a fork's inherited steps.
   */
  model?: string;
  inputTokens?: number;
  outputTokens?: number;
  /** US dollars; 0 for models without a price. */
  costUsd?: number;
  toolCalls: StepToolCall[];
  /** The step ended the run with the model's answer. */
  answered: boolean;
}

export interface RunHistory {
  runId: string;
  status: RunStatus;
  /** Finished steps, oldest first; a step in flight is not listed. */
  steps: StepRecord[];
}

export async function runHistory(handle: WorkflowHandle): Promise<RunHistory> {
  const recorded = await recordedRunInput(handle);
  const state = await query(handle, () => handle.query(stateQuery));
  // One query at a time: a worker may drop concurrent queries to a closed run it replays (they time out).
  const log = await heldEvents(handle);
  const messages = await readConversation(handle);
  const { steps } = conversationSteps(messages, recorded.spec.messages.length);
  const calls = new Map<number, RunEventData['model.call']>();
  const finished = new Map<number, RunEventData['step.finished']>();
  const started = new Set<number>();
  for (const event of log.events) {
    const data = event.data as { step: number };
    if (event.type === 'model.call') calls.set(data.step, event.data as RunEventData['model.call']);
    if (event.type === 'step.finished') finished.set(data.step, event.data as RunEventData['step.finished']);
    if (event.type === 'step.started') started.add(data.step);
  }
  const inheritedThrough = state.forkedFrom?.step ?? 0;
  return {
    runId: handle.workflowId,
    status: state.status,
    steps: steps.slice(0, state.step).map((s): StepRecord => {
      const call = calls.get(s.step);
      const inherited = s.step <= inheritedThrough;
      // The log keeps its newest 500 events: older steps (and a fork's inherited ones) are judged by the conversation.
      const held = !inherited && (!log.dropped || started.has(s.step));
      return {
        step: s.step,
        ...(inherited ? { inherited: true as const } : {}),
        ...(call
          ? { model: call.model, inputTokens: call.inputTokens, outputTokens: call.outputTokens, costUsd: call.costUsd }
          : {}),
        toolCalls: toolCalls(s),
        answered: held ? (finished.get(s.step)?.answered ?? false) : answeredByConversation(s),
      };
    }),
  };
}

function toolCalls(step: ConversationStep): StepToolCall[] {
  return (step.reply.toolCalls ?? []).map((call) => {
    const result = step.followUps.find((m) => m.role === 'tool' && m.toolCallId === call.id);
    return {
      id: call.id,
      name: call.name,
      args: clip(JSON.stringify(call.args), historyArgsChars),
      isError: result?.role === 'tool' && result.isError === true,
    };
  });
}

/** A reply without tool calls ends the run, unless it was sent back for a repair (a user message follows it). */
function answeredByConversation(step: ConversationStep): boolean {
  return !step.reply.toolCalls?.length && !step.followUps.some((m) => m.role === 'user');
}

/** Every event the run still holds, page by page; `dropped` when older ones are gone. */
async function heldEvents(handle: WorkflowHandle): Promise<{ events: RunEvent[]; dropped: boolean }> {
  const events: RunEvent[] = [];
  let after = 0;
  let dropped = false;
  for (;;) {
    const page = await query(handle, () => handle.query(eventsQuery, { after }));
    if (page.firstSeq > after + 1) dropped = true;
    events.push(...page.events);
    after = Math.max(after, page.firstSeq - 1, page.events.at(-1)?.seq ?? 0);
    if (page.events.length === 0 || after >= page.lastSeq) return { events, dropped };
  }
}

async function query<T>(handle: WorkflowHandle, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toAgentError(err, handle.workflowId);
  }
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 3)}...` : text;
}
