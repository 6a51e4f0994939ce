/**
 * Signals, queries and updates of agent runs, declared once for the workflow, the client and the activities.
 *
 * The wire name is the constant's name without its kind suffix; operators use the same names with
 * `temporal workflow signal --name pause` or the UI's "Send a Signal".
 */
import { defineQuery, defineSignal } from '@temporalio/workflow';
import { z } from 'zod';
import type { ChatMessage } from './conversation';
import type { RunEvent } from './events';
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

export interface EventsPage {
  events: RunEvent[];
  /** Sequence number of the newest event; follow from here. */
  lastSeq: number;
  /** Oldest sequence number still held (older ones were dropped to keep state bounded). */
  firstSeq: number;
  /** The run has ended: no more events will come. */
  done: boolean;
}
/** Durable step events after `after` (exclusive), at most `limit`. */
export const eventsQuery = defineQuery<EventsPage, [{ after: number; limit?: number }]>('events');

/** A batch of streamed text from the model call of `step`, at character `offset` of that call's text. */
export const tokenDeltaSchema = z.object({
  step: z.number().int().positive(),
  attempt: z.number().int().positive(),
  offset: z.number().int().nonnegative(),
  text: z.string().max(1_000_000),
});
export type TokenDelta = z.infer<typeof tokenDeltaSchema>;
/** Sent by the model-call activity while it streams; batched so history grows per batch, not per token. */
export const tokenDeltasSignal = defineSignal<[TokenDelta]>('tokenDeltas');

/**
 * A model-call attempt failed and Temporal will retry it: sent by the model-call activity before it fails,
 * so the run records a durable `retry` event (what failed, and how long until the next attempt).
 */
export const modelCallFailureSchema = z.object({
  step: z.number().int().positive(),
  attempt: z.number().int().positive(),
  errorType: z.string().min(1).max(100),
  message: z.string().max(2000),
  /** The provider's Retry-After, in milliseconds, when it sent one. */
  retryAfterMs: z.number().int().nonnegative().optional(),
});
export type ModelCallFailure = z.infer<typeof modelCallFailureSchema>;
export const modelCallFailedSignal = defineSignal<[ModelCallFailure]>('modelCallFailed');

export interface TokensPage {
  /** Step whose model call the text belongs to (0 before any). */
  step: number;
  attempt: number;
  /** Character offset of `text` in that call's text. */
  offset: number;
  text: string;
  /** The call has finished (its final text is in the conversation). */
  done: boolean;
  /** The run has ended. */
  runDone: boolean;
}
/** Streamed text of the current (or last) model call from character `from`. */
export const tokensQuery = defineQuery<TokensPage, [{ step: number; from: number }]>('tokens');

/** Shown by the Temporal UI next to each handler. */
export const messageDescriptions = {
  pause: 'Pause the run at the next step boundary. No input.',
  resume: 'Resume a paused run. No input.',
  stop: 'Stop the run gracefully: the call in flight is cancelled and the run completes with status "stopped" and its partial result. No input.',
  state: 'Status, current step and usage so far.',
  conversation: 'Messages of the conversation; args { from, to }. Used by the model-call activity.',
  events: 'Durable step events after a sequence number; args { after, limit? }.',
  tokens: 'Streamed text of the current model call; args { step, from }.',
  tokenDeltas: 'Streamed text from the model-call activity (internal).',
  modelCallFailed: 'A model-call attempt failed and will be retried (internal); recorded as a "retry" event.',
} as const;
