/**
 * Updates and queries of sessions, with their wire types, declared once for the workflow, the client and operators.
 *
 * Safe to import from workflow code. The wire name is the constant's name without its kind suffix
 * (`temporal workflow update execute --name sendMessage`). Sessions also answer the runs' `pause`, `resume`
 * and `stop` signals and the `conversation` query (`agents/messages.ts`).
 */
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { PendingApproval } from './approval';
import { obj, str } from './checks';
import type { ChatMessage, Usage } from './conversation';
import type { ErrorType } from './errors';
import type {
  CloseReason,
  SessionConfig,
  SessionStatus,
  SessionStrategy,
  SessionSummary,
  SummaryMode,
  TurnFinishReason,
  TurnRecord,
  TurnStatus,
} from './session';

export interface SendMessageInput {
  message: string;
}
/** Checks a `sendMessage` input in the update's validator (the client checks with zod first). */
export const sendMessageInputCheck = obj({ message: str({ min: 1, max: 100_000 }) });

/** What `sendMessage` returns: the reply of one turn. */
export interface TurnReply {
  sessionId: string;
  /** Absent when the message was superseded before its turn began (strategy `interrupt`). */
  turn?: number;
  status: TurnStatus;
  finishReason: TurnFinishReason;
  /** The last assistant text of the turn (empty if interrupted before any). */
  answer: string;
  /** Model calls this turn made. */
  steps: number;
  /** Usage of this turn alone. */
  usage: Usage;
}

export interface SessionMemoryState {
  /** Turns kept word for word (sent to the model). */
  keptTurns: number;
  firstKeptTurn?: number;
  /** Turns 1..N are folded into the summary (0: none). */
  summaryThroughTurn: number;
  summary: SummaryMode;
  keepTurns: number;
  maxChars: number;
  /** Messages and characters the next model call starts from (without the next user message). */
  contextMessages: number;
  contextChars: number;
}

export interface SessionState {
  sessionId: string;
  user: string;
  template: string;
  model: string;
  strategy: SessionStrategy;
  status: SessionStatus;
  /** Turns finished (completed, interrupted or stopped). */
  turns: number;
  /** The turn running now. */
  runningTurn?: number;
  /** Messages waiting for their turn. */
  queued: number;
  pauseRequested: boolean;
  /** Usage of every turn and summary of this session (not of its parent, for a fork). */
  usage: Usage;
  ttlSeconds: number;
  createdAt: string;
  lastActivityAt: string;
  /** When the session closes itself if nothing happens; absent while a turn runs or messages wait. */
  expiresAt?: string;
  continuations: number;
  memory: SessionMemoryState;
  forkedFrom?: { sessionId: string; turn: number };
  closeReason?: CloseReason;
  /** Tool calls of the running turn awaiting a person's decision (a role approval rule of the policy file). */
  pendingApprovals?: PendingApproval[];
  /** The configuration the session was created with (what `fork` copies). */
  config: SessionConfig;
}

/** The session as it was at the end of one turn. */
export interface SessionCheckpoint {
  sessionId: string;
  turn: number;
  /** End of the turn, ISO 8601 (absent for turn 0). */
  at?: string;
  status?: TurnStatus;
  answer: string;
  /** Usage of that turn. */
  turnUsage?: Usage;
  /** The session's usage after that turn. */
  usage?: Usage;
  /** Everything the model would have seen next: system prompt, summary of folded turns, the kept turns up to it. */
  messages: ChatMessage[];
  summary?: SessionSummary;
  /** The kept turns up to it, word for word (what a fork carries). */
  turns: TurnRecord[];
}

export type CheckpointResult =
  | { ok: true; checkpoint: SessionCheckpoint }
  | { ok: false; type: typeof ErrorType.NotFound | typeof ErrorType.InvalidInput; message: string };

/** Workflow result, when the session closes. */
export interface SessionResult {
  sessionId: string;
  user: string;
  closeReason: CloseReason;
  turns: number;
  usage: Usage;
  createdAt: string;
  closedAt: string;
}

/** Memo key holding {@link SessionMemo}, refreshed after every turn: what `ls` and `stats` read without a worker. */
export const sessionMemoKey = 'session';
export interface SessionMemo {
  turns: number;
  usage: Usage;
  lastActivityAt: string;
  closeReason?: CloseReason;
}

export const sendMessageUpdate = defineUpdate<TurnReply, [SendMessageInput]>('sendMessage');
export const closeUpdate = defineUpdate<SessionState, []>('close');
export const sessionStateQuery = defineQuery<SessionState>('sessionState');
export const checkpointQuery = defineQuery<CheckpointResult, [{ turn: number }]>('checkpoint');

/** Shown by the Temporal UI next to each handler. */
export const sessionMessageDescriptions = {
  sendMessage:
    'Run one agent turn on { message } and return the reply. Rejected with SessionClosed once the session is closing, SessionBusy under strategy "reject".',
  close:
    'Close the session: new messages are refused, accepted ones still run, then the workflow completes. Returns the session state.',
  sessionState: 'Status, turns, usage, memory window and expiry of the session.',
  checkpoint: 'The session at the end of turn { turn }: messages up to it and usage.',
  pause: 'Pause: the running turn parks at its next step boundary and waiting messages wait. No input.',
  resume: 'Resume a paused session. No input.',
  stop: 'Stop the session: the running turn is cancelled (its reply says "stopped"), waiting messages fail with SessionClosed, the session closes. No input.',
  conversation: 'Messages the model sees; args { from, to } (also read by the model-call activity).',
  approve:
    'Approve a tool call the running turn awaits a decision on (a role approval rule of the policy file): input {"callId": "..."}, or {} for every pending call (see sessionState). Refused if nothing awaits approval or the call id is unknown.',
  reject:
    'Reject a tool call the running turn awaits a decision on: input {"callId": "...", "reason": "..."} ({} or no callId: every pending call). The call is not run; the model is told it was rejected and why.',
} as const;
