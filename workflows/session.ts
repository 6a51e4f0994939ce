/**
 * `sessionWorkflow`: a multi-turn conversation as one long-lived workflow (the long-running entity pattern).
 *
 * The workflow function registers the handlers and hands off to `Session`. Each `sendMessage` update runs one
 * turn under a first-in, first-out lock, so turns never interleave. The main loop only waits: for the idle TTL,
 * a close or stop, or the moment to continue as new (same workflow id, memory carried as one plain object).
 * Deterministic code only.
 */
import {
  allHandlersFinished,
  condition,
  makeContinueAsNewFunc,
  setHandler,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { emptyUsage } from '../agents/conversation';
import { agentFailure, ErrorType } from '../agents/errors';
import type { ApprovalDecisionArgs } from '../agents/approval';
import {
  approveUpdate,
  conversationQuery,
  pauseSignal,
  rejectUpdate,
  resumeSignal,
  stopSignal,
} from '../agents/messages';
import { agentStatusKey } from '../agents/search-attributes';
import {
  checkpointQuery,
  closeUpdate,
  sendMessageInputCheck,
  sendMessageUpdate,
  sessionMemoKey,
  sessionMessageDescriptions as describe,
  sessionStateQuery,
  type CloseReason,
  type ResolvedSession,
  type SendMessageInput,
  type SessionInput,
  type SessionMemo,
  type SessionResult,
  type SessionState,
  type SessionStatus,
  type TurnReply,
} from '../agents/session';
import { workflowNow, workflowNowIso } from './clock';
import { SessionConversation } from './session-conversation';
import { resolveSessionInput } from './session-input';
import { continueAsNewCarrying, historyIsLong } from './continue-as-new';
import type { ApprovalGate } from './approval-gate';
import { FifoLock } from './session-lock';
import { setSessionListStatus, upsertSessionSearchAttributes } from './session-visibility';

/**
 * One session: runs a turn per `sendMessage` until closed, stopped, or idle past its TTL; returns its totals.
 * The input is checked with `resolveSessionInput`; bad input fails the workflow at once with a typed, non-retryable failure.
 */
export async function sessionWorkflow(input: SessionInput): Promise<SessionResult> {
  const resolution = resolveSessionInput(input);
  if (!resolution.ok) {
    upsertSearchAttributes([{ key: agentStatusKey, value: 'closed' }]);
    throw agentFailure(resolution.type, resolution.message, { nonRetryable: true });
  }
  const session = new Session(resolution.session);
  session.registerHandlers();
  return session.execute();
}

class Session {
  private readonly id = workflowInfo().workflowId;
  private readonly conversation: SessionConversation;
  /** Held by the running turn; waiting messages queue on it in arrival order. */
  private readonly lock = new FifoLock();
  private pauseRequested: boolean;
  private stopRequested = false;
  /** Set once the session stops taking messages. */
  private closeReason?: CloseReason;
  private closed = false;
  private readonly createdAt: number;
  private lastActivityAt: number;
  /** Bumped by every message, signal and finished turn: restarts the idle timer. */
  private activity = 0;
  /** Messages accepted so far; under `interrupt` only the newest one runs. */
  private messageSeq = 0;
  private turnsThisRun = 0;
  /** Set once this run's history is long: new messages are refused with `SessionContinuing` until it continues as new. */
  private continuing = false;
  private readonly continuations: number;

  constructor(private readonly session: ResolvedSession) {
    const carried = session.input.carried;
    this.conversation = new SessionConversation(session, carried);
    this.pauseRequested = carried?.pauseRequested ?? false;
    this.createdAt = carried?.createdAt ?? workflowNow();
    this.lastActivityAt = carried?.lastActivityAt ?? workflowNow();
    this.continuations = carried?.continuations ?? 0;
  }

  registerHandlers(): void {
    const { conversation } = this;
    setHandler(sendMessageUpdate, (input) => this.send(input), {
      validator: (input) => this.validateMessage(input),
      description: describe.sendMessage,
    });
    setHandler(closeUpdate, () => this.close(), { description: describe.close });
    // A role approval rule (policy file) may gate a turn's tool calls: decided like a run's.
    setHandler(approveUpdate, (args) => this.approvals().decide('approved', args), {
      validator: (args: ApprovalDecisionArgs) => this.approvals().validate(args),
      description: describe.approve,
    });
    setHandler(rejectUpdate, (args) => this.approvals().decide('rejected', args), {
      validator: (args: ApprovalDecisionArgs) => this.approvals().validate(args),
      description: describe.reject,
    });
    setHandler(pauseSignal, () => this.pause(), { description: describe.pause });
    setHandler(resumeSignal, () => this.resume(), { description: describe.resume });
    setHandler(stopSignal, () => this.stop(), { description: describe.stop });
    setHandler(sessionStateQuery, () => this.state(), { description: describe.sessionState });
    setHandler(checkpointQuery, (args) => conversation.checkpoint(args?.turn), { description: describe.checkpoint });
    setHandler(conversationQuery, (args) => conversation.slice(args), { description: describe.conversation });
    conversation.registerObservationHandlers(() => this.closed);
  }

  async execute(): Promise<SessionResult> {
    upsertSessionSearchAttributes(this.session, this.pauseRequested);
    const { events } = this.conversation;
    if (!this.session.input.carried?.events)
      events.emit('run.started', {
        template: this.session.template,
        user: this.session.input.user,
        model: this.session.input.model,
      });
    const ttlMs = this.session.ttlSeconds * 1000;
    while (!this.closeReason) {
      if (this.historyIsLong()) {
        // A session that always has a message waiting would otherwise never be idle enough to continue as new:
        // refuse new messages (retryably) until the accepted ones have run, so this run's history stays bounded.
        this.continuing = true;
        await condition(() => this.lock.size === 0 || this.closeReason !== undefined);
        if (this.closeReason) break;
        return this.continueAsNew();
      }
      if (this.lock.size > 0) {
        await condition(() => this.lock.size === 0 || this.closeReason !== undefined || this.historyIsLong());
        continue;
      }
      const remaining = this.lastActivityAt + ttlMs - workflowNow();
      if (remaining <= 0) {
        this.closeReason = 'expired';
        break;
      }
      const seen = this.activity;
      await condition(() => this.activity !== seen || this.lock.size > 0 || this.closeReason !== undefined, remaining);
    }
    // Messages accepted before the close still run (after `stop` they fail at once); then nothing is left in flight.
    await condition(() => this.lock.size === 0 && allHandlersFinished());
    this.closed = true;
    events.emit('run.completed', { step: this.conversation.steps, finishReason: this.closeReason ?? 'closed' });
    events.done = true;
    setSessionListStatus('closed');
    this.publishMemo();
    const { conversation } = this;
    return {
      sessionId: this.id,
      user: this.session.input.user,
      closeReason: this.closeReason ?? 'closed',
      turns: conversation.turnCount,
      usage: conversation.usage,
      createdAt: new Date(this.createdAt).toISOString(),
      closedAt: workflowNowIso(),
    };
  }

  /** The running turn's approvals; refused with `NotAwaitingApproval` when no turn runs. */
  private approvals(): ApprovalGate {
    const gate = this.conversation.current?.loop.approvals;
    if (!gate)
      throw agentFailure(ErrorType.NotAwaitingApproval, `Session ${this.id} is not awaiting approval of any tool call`);
    return gate;
  }

  private validateMessage(input: SendMessageInput): void {
    const problem = sendMessageInputCheck(input, '');
    if (problem) throw agentFailure(ErrorType.InvalidInput, `Invalid message: ${problem}`);
    if (this.closeReason) {
      const why = {
        closed: 'was closed',
        expired: `expired after ${this.session.ttlSeconds} s idle`,
        stopped: 'was stopped',
      }[this.closeReason];
      throw agentFailure(
        ErrorType.SessionClosed,
        `Session ${this.id} ${why} and takes no more messages; create a new session or fork this one`,
        {
          nonRetryable: true,
        },
      );
    }
    if (this.continuing) {
      const after = this.pauseRequested ? 'once it is resumed and has run' : 'after';
      throw agentFailure(
        ErrorType.SessionContinuing,
        `Session ${this.id} is continuing as new ${after} ${this.lock.size} waiting message(s); send again shortly`,
      );
    }
    if (this.session.strategy === 'reject' && this.lock.size > 0) {
      const running = this.conversation.current?.turn ?? this.conversation.turnCount + 1;
      throw agentFailure(
        ErrorType.SessionBusy,
        `Session ${this.id} is running turn ${running} and its strategy is "reject"; send again when the turn has finished`,
        {
          nonRetryable: true,
        },
      );
    }
  }

  private async send(input: SendMessageInput): Promise<TurnReply> {
    const seq = ++this.messageSeq;
    this.touch();
    if (this.session.strategy === 'interrupt') this.conversation.interrupt('interrupted');
    try {
      return await this.lock.run(async () => {
        await condition(() => !this.pauseRequested || this.stopRequested);
        if (this.stopRequested) {
          throw agentFailure(
            ErrorType.SessionClosed,
            `Session ${this.id} was stopped before this message's turn began`,
            { nonRetryable: true },
          );
        }
        if (this.session.strategy === 'interrupt' && seq < this.messageSeq) return this.supersededReply();
        await this.conversation.fold();
        const reply = await this.conversation.run(input.message, this.pauseRequested);
        this.turnsThisRun++;
        this.publishMemo();
        return reply;
      });
    } finally {
      this.touch();
    }
  }

  private close(): SessionState {
    if (!this.closeReason) {
      this.closeReason = 'closed';
      this.touch();
    }
    return this.state();
  }

  private pause(): void {
    if (this.closed) return;
    this.pauseRequested = true;
    this.conversation.pause();
    setSessionListStatus('paused');
    this.touch();
  }

  private resume(): void {
    if (this.closed) return;
    this.pauseRequested = false;
    this.conversation.resume();
    setSessionListStatus('open');
    this.touch();
  }

  private stop(): void {
    if (this.closed || this.stopRequested) return;
    this.stopRequested = true;
    this.closeReason ??= 'stopped';
    this.conversation.events.emit('run.stopped', { step: this.conversation.steps });
    this.conversation.interrupt('stopped');
    this.touch();
  }

  private touch(): void {
    this.lastActivityAt = workflowNow();
    this.activity++;
  }

  private supersededReply(): TurnReply {
    return {
      sessionId: this.id,
      status: 'interrupted',
      finishReason: 'interrupted',
      answer: '',
      steps: 0,
      usage: emptyUsage(),
    };
  }

  /** History is long, or this run has taken its share of turns. */
  private historyIsLong(): boolean {
    return historyIsLong(this.session.options) || this.turnsThisRun >= this.session.options.continueAsNewEveryTurns;
  }

  private continueAsNew(): Promise<never> {
    const { conversation: c } = this;
    // The memo is passed on explicitly: the new run's visibility record must show the latest turn count.
    const continuations = this.continuations + 1;
    return continueAsNewCarrying(
      c.events,
      () => ({ step: c.steps, continuations }),
      () =>
        makeContinueAsNewFunc<typeof sessionWorkflow>({ memo: { [sessionMemoKey]: this.memo() } })({
          ...this.session.input,
          carried: {
            ...c.carry(),
            pauseRequested: this.pauseRequested,
            createdAt: this.createdAt,
            lastActivityAt: this.lastActivityAt,
            continuations,
            forkedFrom: this.session.input.carried?.forkedFrom,
          },
        }),
    );
  }

  /** What `ls` and `stats` read from visibility, without a worker. */
  private publishMemo(): void {
    upsertMemo({ [sessionMemoKey]: this.memo() });
  }

  private memo(): SessionMemo {
    const { conversation } = this;
    return {
      turns: conversation.turnCount,
      usage: conversation.usage,
      lastActivityAt: new Date(this.lastActivityAt).toISOString(),
      closeReason: this.closed ? this.closeReason : undefined,
    };
  }

  private state(): SessionState {
    const { input } = this.session;
    const { conversation } = this;
    const running = conversation.current?.turn;
    const status: SessionStatus = this.closed
      ? 'closed'
      : this.closeReason
        ? 'closing'
        : (this.pauseRequested && running === undefined) || conversation.current?.loop.status === 'paused'
          ? 'paused'
          : running !== undefined
            ? 'running'
            : 'idle';
    const idle = this.lock.size === 0 && !this.closeReason;
    const { carried: _carried, ...config } = input;
    const gate = conversation.current?.loop.approvals;
    return {
      sessionId: this.id,
      user: input.user,
      template: this.session.template,
      model: input.model,
      strategy: this.session.strategy,
      status,
      turns: conversation.turnCount,
      runningTurn: running,
      queued: Math.max(0, this.lock.size - (running === undefined ? 0 : 1)),
      pauseRequested: this.pauseRequested,
      usage: conversation.usage,
      ttlSeconds: this.session.ttlSeconds,
      createdAt: new Date(this.createdAt).toISOString(),
      lastActivityAt: new Date(this.lastActivityAt).toISOString(),
      expiresAt: idle ? new Date(this.lastActivityAt + this.session.ttlSeconds * 1000).toISOString() : undefined,
      continuations: this.continuations,
      memory: conversation.memoryState(),
      forkedFrom: input.carried?.forkedFrom,
      closeReason: this.closeReason,
      ...(gate?.waiting() ? { pendingApprovals: gate.list() } : {}),
      config,
    };
  }
}
