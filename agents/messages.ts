/**
 * Signals, queries and updates of agent runs, declared once for the workflow, the client and the activities.
 *
 * The wire name is the constant's name without its kind suffix; operators use the same names with
 * `temporal workflow signal --name pause` or the UI's "Send a Signal".
 */
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { ChatMessage } from './conversation';
import type { RunState } from './run';

export const pauseSignal = defineSignal('pause');
export const resumeSignal = defineSignal('resume');
export const stopSignal = defineSignal('stop');

export const stateQuery = defineQuery<RunState>('state');

export interface ConversationSlice {
  /** Index of the first message returned. */
  from: number;
  messages: ChatMessage[];
  /** Messages in the conversation in all. */
  total: number;
}
/** Read by the model-call activity so the conversation is not copied into every activity input. */
export const conversationQuery = defineQuery<ConversationSlice, [{ from: number; to: number }]>('conversation');

/** Shown by the Temporal UI next to each handler. */
export const messageDescriptions = {
  pause: 'Pause the run at the next step boundary. No input.',
  resume: 'Resume a paused run. No input.',
  stop: 'Stop the run gracefully: the call in flight is cancelled and the run completes with status "stopped" and its partial result. No input.',
  state: 'Status, current step and usage so far.',
  conversation: 'Messages of the conversation; args { from, to }. Used by the model-call activity.',
} as const;
