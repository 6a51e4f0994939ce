/**
 * `SessionHandle`: talk to one session (send, state, checkpoint, close, pause, resume, stop, approve, reject,
 * result), and `toSessionError`, which turns Temporal client errors into `AgentError`s that name the session.
 */
import {
  WorkflowUpdateFailedError,
  QueryNotRegisteredError,
  type Client,
  type WorkflowHandle,
} from '@temporalio/client';
import { ActivityFailure, ApplicationFailure } from '@temporalio/common';
import type { ApprovalDecisionResult } from '../agents/approval';
import { AgentError, ErrorType } from '../agents/errors';
import { describeZodError } from '../agents/errors';
import { sendMessageInputSchema } from '../agents/session-schema';
import {
  checkpointQuery,
  closeUpdate,
  sendMessageUpdate,
  sessionStateQuery,
  type SessionCheckpoint,
  type SessionResult,
  type SessionState,
  type TurnReply,
} from '../agents/session';
import { approveUpdate, rejectUpdate } from '../agents/messages';
import type { sessionWorkflow } from '../workflows';
import { decisionArgs } from './agent-client';
import { ControlSignals } from './control-signals';
import { isClosedRunError, isNotFound, reachedClosedWorkflow, toAgentError } from './errors';

export interface SendOptions {
  /** Idempotency key of this message: sending again with the same id returns the same reply. Default: a new one. */
  messageId?: string;
}

/** One session: `send`, `state`, `checkpoint`, `close`, `result`, and `pause`, `resume`, `stop` (from {@link ControlSignals}). */
export class SessionHandle extends ControlSignals {
  constructor(
    readonly sessionId: string,
    readonly workflow: WorkflowHandle<typeof sessionWorkflow>,
  ) {
    super();
  }

  /**
   * Runs one turn and returns its reply. Under strategy `enqueue` it waits for earlier messages' turns.
   * Throws `AgentError` `SessionClosed`, `SessionBusy` (strategy `reject`), `InvalidInput`, `NotFound`, or the
   * turn's failure (e.g. `ModelRejected`, `QuotaExceeded`); a failed turn leaves the session open. While the
   * session continues as new it refuses messages with `SessionContinuing`; this sends again until it is through.
   */
  async send(message: string, options: SendOptions = {}): Promise<TurnReply> {
    checkMessage(message);
    return retryWhileContinuing(() => this.sendOnce(message, options.messageId));
  }

  private async sendOnce(message: string, updateId: string | undefined): Promise<TurnReply> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.workflow.executeUpdate(sendMessageUpdate, {
          args: [{ message }],
          ...(updateId ? { updateId } : {}),
        });
      } catch (err) {
        // Sent just as the session continued as new: the new run takes it (it only continues with nothing in flight).
        if (attempt < 3 && isClosedRunError(err) && (await this.isRunning())) continue;
        throw await this.toError(err);
      }
    }
  }

  state(): Promise<SessionState> {
    return this.call(() => this.workflow.query(sessionStateQuery));
  }

  /**
   * Approves the tool call `callId` the running turn awaits (a role approval rule of the policy file; see
   * `state().pendingApprovals`), or every pending call. Refused with `NotAwaitingApproval` or `UnknownToolCall`.
   */
  approve(callId?: string): Promise<ApprovalDecisionResult> {
    const args = decisionArgs(callId);
    return this.call(() => this.workflow.executeUpdate(approveUpdate, { args: [args] }));
  }

  /** Rejects like {@link approve} approves: the call is not run and the model is told it was rejected and why. */
  reject(callId?: string, reason?: string): Promise<ApprovalDecisionResult> {
    const args = decisionArgs(callId, reason);
    return this.call(() => this.workflow.executeUpdate(rejectUpdate, { args: [args] }));
  }

  /** The session at the end of `turn` (messages up to it, usage); `NotFound` once that turn was folded into the summary. */
  async checkpoint(turn: number): Promise<SessionCheckpoint> {
    const result = await this.call(() => this.workflow.query(checkpointQuery, { turn }));
    if (!result.ok) throw new AgentError(result.type, result.message);
    return result.checkpoint;
  }

  /** Refuses new messages; accepted ones still run, then the session completes. Closing a closed session is a no-op. */
  async close(): Promise<SessionState> {
    try {
      return await this.workflow.executeUpdate(closeUpdate);
    } catch (err) {
      if (isClosedRunError(err) && !(await this.isRunning())) return this.state();
      throw await this.toError(err);
    }
  }

  /** Waits for the session to close (explicitly, by TTL or by stop). */
  result(): Promise<SessionResult> {
    return this.call(() => this.workflow.result());
  }

  private async isRunning(): Promise<boolean> {
    try {
      return (await this.workflow.describe()).status.name === 'RUNNING';
    } catch {
      return false;
    }
  }

  protected async call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw await this.toError(err);
    }
  }

  private async toError(err: unknown): Promise<unknown> {
    if (await reachedClosedWorkflow(err, this.workflow)) {
      return new AgentError(
        ErrorType.SessionClosed,
        `Session ${this.sessionId} is closed and takes no more messages; create a new session or fork this one`,
      );
    }
    return toSessionError(err, this.sessionId);
  }
}

/** `AgentError`s for session calls: update failures keep their type; missing workflows are `NotFound` sessions. */
export function toSessionError(err: unknown, sessionId: string): unknown {
  if (err instanceof AgentError) return err;
  if (err instanceof WorkflowUpdateFailedError) {
    const cause = err.cause instanceof ActivityFailure ? err.cause.cause : err.cause;
    if (cause instanceof ApplicationFailure)
      return new AgentError((cause.type ?? ErrorType.RunFailed) as ErrorType, cause.message, cause.details);
    return new AgentError(ErrorType.RunFailed, cause?.message ?? err.message);
  }
  if (isNotFound(err)) {
    return new AgentError(ErrorType.NotFound, `No session ${sessionId}`);
  }
  if (err instanceof QueryNotRegisteredError)
    return new AgentError(ErrorType.NotFound, `${sessionId} is not a session`);
  return toAgentError(err, sessionId);
}

export function sessionHandle(client: Client, sessionId: string): SessionHandle {
  return new SessionHandle(sessionId, client.workflow.getHandle<typeof sessionWorkflow>(sessionId));
}

/**
 * Refuses a bad message here, before it is sent: an update over Temporal's payload limit would reach the
 * session and fail its workflow task until the update timed out.
 */
export function checkMessage(message: unknown): void {
  const parsed = sendMessageInputSchema.safeParse({ message });
  if (!parsed.success)
    throw new AgentError(ErrorType.InvalidInput, `Invalid message: ${describeZodError(parsed.error)}`);
}

/** Backoff for a message refused with `SessionContinuing`: the session first runs the messages it accepted. */
const continuingRetry = { firstDelayMs: 100, maxDelayMs: 2000, giveUpAfterMs: 10 * 60_000 };

/** Runs `send` (which throws `AgentError`s), again while the session answers `SessionContinuing`. */
export async function retryWhileContinuing<T>(send: () => Promise<T>): Promise<T> {
  const started = Date.now();
  for (let delayMs = continuingRetry.firstDelayMs; ; delayMs = Math.min(delayMs * 2, continuingRetry.maxDelayMs)) {
    try {
      return await send();
    } catch (err) {
      const continuing = err instanceof AgentError && err.type === ErrorType.SessionContinuing;
      if (!continuing || Date.now() - started > continuingRetry.giveUpAfterMs) throw err;
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  }
}
