/**
 * Signals, queries and updates of agent runs, declared once for the workflow, the client and the activities.
 *
 * The wire name is the constant's name without its kind suffix; operators use the same names with
 * `temporal workflow signal --name pause` or the UI's "Send a Signal".
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { ApprovalDecisionArgs, ApprovalDecisionResult } from './approval';
import { num, obj, optional, str } from './checks';
import type { ChatMessage } from './conversation';
import type { RunEvent } from './events';
import type { RunState } from './run';
import type { ToolDefinition } from './run-spec';

export const pauseSignal = defineSignal('pause');
export const resumeSignal = defineSignal('resume');
export const stopSignal = defineSignal('stop');

export const stateQuery = defineQuery<RunState>('state');

/** Decide tool calls a run waits on (`options.approval`); refused with `NotAwaitingApproval` or `UnknownToolCall`. */
export const approveUpdate = defineUpdate<ApprovalDecisionResult, [ApprovalDecisionArgs]>('approve');
export const rejectUpdate = defineUpdate<ApprovalDecisionResult, [ApprovalDecisionArgs]>('reject');

export interface ConversationSlice {
  /** Index of the first message returned. */
  from: number;
  messages: ChatMessage[];
  /** Messages in the conversation in all. */
  total: number;
  /** What the run recorded at start for its model calls, when asked for with `withSpec` (runs with a spec only). */
  spec?: ModelCallSpec;
}
/** The part of a run's spec its model calls use: tool definitions to bind, the schema to check answers against. */
export interface ModelCallSpec {
  /** Absent for runs started without a spec: their calls bind the worker's built-in tools by name. */
  tools?: ToolDefinition[];
  outputSchema?: Record<string, unknown>;
}
export interface ConversationArgs {
  from: number;
  to: number;
  /** Also return the run's {@link ModelCallSpec} (the model-call activity asks once per workflow run and caches it). */
  withSpec?: boolean;
}
/** Read by the model-call activity so the conversation (and the recorded tool schemas) is not copied into every activity input. */
export const conversationQuery = defineQuery<ConversationSlice, [ConversationArgs]>('conversation');

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
export interface TokenDelta {
  step: number;
  attempt: number;
  offset: number;
  text: string;
}
/** Checks a `tokenDeltas` signal (extra fields are ignored). */
export const tokenDeltaCheck = obj(
  {
    step: num({ int: true, min: 1 }),
    attempt: num({ int: true, min: 1 }),
    offset: num({ int: true, min: 0 }),
    text: str({ max: 1_000_000 }),
  },
  { strict: false },
);
/**
 * Sent by the model-call activity while it streams; batched so history grows per batch, not per token. Internal:
 * delivered by the default signal handler, so the Web UI does not offer it as a control.
 */
export const tokenDeltasSignal = defineSignal<[TokenDelta]>('tokenDeltas');

/**
 * A model-call attempt failed and Temporal will retry it: sent by the model-call activity before it fails,
 * so the run records a durable `retry` event (what failed, and how long until the next attempt).
 */
export interface ModelCallFailure {
  step: number;
  attempt: number;
  errorType: string;
  message: string;
  /** The provider's Retry-After, in milliseconds, when it sent one. */
  retryAfterMs?: number;
}
/** Checks a `modelCallFailed` signal (extra fields are ignored). */
export const modelCallFailureCheck = obj(
  {
    step: num({ int: true, min: 1 }),
    attempt: num({ int: true, min: 1 }),
    errorType: str({ min: 1, max: 100 }),
    message: str({ max: 2000 }),
    retryAfterMs: optional(num({ int: true, min: 0 })),
  },
  { strict: false },
);
/** Internal, like `tokenDeltas`. */
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

/**
 * Shown by the Temporal UI next to each handler it lists. Internal signals (`tokenDeltas`, `modelCallFailed`) are
 * not listed (see `workflows/internal-signals.ts`).
 */
export const messageDescriptions = {
  pause: 'Pause the run at the next step boundary. No input.',
  resume: 'Resume a paused run. No input.',
  stop: 'Stop the run gracefully: the call in flight is cancelled and the run completes with status "stopped" and its partial result. No input.',
  state: 'Status, current step and usage so far, and the tool calls awaiting approval.',
  approve:
    'Approve a tool call the run awaits a decision on: input {"callId": "..."} for one call, or {} for every pending call (see the state query). Refused if the run is not awaiting approval or the call id is unknown.',
  reject:
    'Reject a tool call the run awaits a decision on: input {"callId": "...", "reason": "..."} ({} or no callId: every pending call). The call is not run; the model is told it was rejected and why.',
  conversation: 'Messages of the conversation; args { from, to } (also read by the model-call activity).',
  events: 'Durable step events after a sequence number; args { after, limit? }.',
  tokens: 'Streamed text of the current model call; args { step, from }.',
} as const;
