/**
 * `SessionManager`: create, fork and delete sessions, and the user-scoped operations (list, close all, delete
 * all, stats). Talk to one session through its {@link SessionHandle}.
 *
 * Inputs are checked with the same `resolveSession` the workflow uses, so bad input fails here with a typed
 * `AgentError` and nothing is started. Listing and stats read Temporal visibility (search attributes and the
 * memo each session refreshes after every turn), so they need no worker and are eventually consistent.
 */
import { randomUUID } from 'node:crypto';
import {
  WithStartWorkflowOperation,
  WorkflowExecutionAlreadyStartedError,
  type Client,
  type WorkflowStartOptions,
} from '@temporalio/client';
import { z } from 'zod';
import { emptyUsage } from '../agents/conversation';
import { AgentError, describeZodError, ErrorType } from '../agents/errors';
import { userIdSchema } from '../agents/run';
import {
  agentKindKey,
  agentModelKey,
  agentStatusKey,
  agentTemplateKey,
  agentUserKey,
} from '../agents/search-attributes';
import { resolveSession, sessionIdSchema } from '../agents/session-schema';
import { sendMessageUpdate, type CarriedSessionState, type SessionConfig, type TurnReply } from '../agents/session';
import type { sessionWorkflow } from '../workflows';
import { taskQueueFrom } from './connection';
import { defaultModelFrom, modelOrDefault } from './default-model';
import { deleteSession, type DeleteOptions } from './session-delete';
import {
  listSessions,
  sessionStats,
  type ListSessionsFilter,
  type SessionInfo,
  type SessionStats,
} from './session-list';
import {
  checkMessage,
  retryWhileContinuing,
  sessionHandle,
  toSessionError,
  type SendOptions,
  type SessionHandle,
} from './session-handle';

export interface SessionManagerOptions {
  /** Task queue the workers poll. Default AGENT_TASK_QUEUE, else `agents`. */
  taskQueue?: string;
  /**
   * Model spec of sessions created without one, e.g. `openai:gpt-4o-mini`. Default AGENT_DEFAULT_MODEL; with
   * neither, `create` without a model is an `InvalidInput` error.
   */
  defaultModel?: string;
  /** Where AGENT_TASK_QUEUE and AGENT_DEFAULT_MODEL are read. Default `process.env`. */
  env?: NodeJS.ProcessEnv;
}

/** A session's configuration (see `SessionConfig` for every field and its default) and, optionally, its id. */
export type CreateSessionOptions = Omit<SessionConfig, 'template' | 'model'> & {
  /** `chat` (default) or `react`. */
  template?: string;
  /** Model spec `provider:model`. Default: the manager's `defaultModel` (AGENT_DEFAULT_MODEL). */
  model?: string;
  /** Caller-given id (creating twice returns the same session); generated as `session-<uuid>` when omitted. */
  sessionId?: string;
};

export interface ForkOptions {
  /** Id of the new session; generated when omitted. */
  sessionId?: string;
  /** Owner of the fork. Default: the source's user. */
  user?: string;
  model?: string;
  ttlSeconds?: number;
  strategy?: SessionConfig['strategy'];
}

export interface BatchOptions {
  /** Wait until every session has closed (its accepted turns done). Default false. */
  wait?: boolean;
}

export { SessionHandle, toSessionError, type SendOptions } from './session-handle';
export type { DeleteOptions } from './session-delete';
export type { ListSessionsFilter, SessionInfo, SessionStats, SessionTotals } from './session-list';
export type { SessionCheckpoint, SessionResult, SessionState, TurnReply } from '../agents/session';

const batchConcurrency = 16;

export class SessionManager {
  readonly taskQueue: string;
  private readonly defaultModel: ReturnType<typeof defaultModelFrom>;

  constructor(
    readonly client: Client,
    options: SessionManagerOptions = {},
  ) {
    this.taskQueue = taskQueueFrom(options.taskQueue, options.env);
    this.defaultModel = defaultModelFrom(options.defaultModel, options.env);
  }

  /** Creates a session, or returns the open one with that id (idempotent). `SessionClosed` if that id's session is closed. */
  async create(options: CreateSessionOptions): Promise<SessionHandle> {
    const { sessionId, startOptions } = this.prepare(options);
    try {
      await this.client.workflow.start<typeof sessionWorkflow>('sessionWorkflow', startOptions);
    } catch (err) {
      throw this.startError(err, sessionId);
    }
    const handle = this.getHandle(sessionId);
    if (options.sessionId) await this.checkOwner(handle, options.user);
    return handle;
  }

  /** Creates the session if needed and runs its first (or next) turn in one call (update-with-start). */
  async createAndSend(options: CreateSessionOptions, message: string, send: SendOptions = {}): Promise<TurnReply> {
    checkMessage(message);
    const { sessionId, startOptions } = this.prepare(options);
    return retryWhileContinuing(async () => {
      // An operation is used once: every attempt gets its own.
      const startWorkflowOperation = new WithStartWorkflowOperation<typeof sessionWorkflow>(
        'sessionWorkflow',
        startOptions,
      );
      try {
        return await this.client.workflow.executeUpdateWithStart(sendMessageUpdate, {
          args: [{ message }],
          startWorkflowOperation,
          ...(send.messageId ? { updateId: send.messageId } : {}),
        });
      } catch (err) {
        throw this.startError(err, sessionId);
      }
    });
  }

  getHandle(sessionId: string): SessionHandle {
    parseArg(sessionIdSchema, sessionId, 'session id');
    return sessionHandle(this.client, sessionId);
  }

  /**
   * A new session that starts from `turn` of `sourceId`: same configuration, memory as it was at the end of
   * that turn (carried state, not a history reset). Its usage starts at zero; its turns continue from `turn`.
   */
  async fork(sourceId: string, turn: number, options: ForkOptions = {}): Promise<SessionHandle> {
    const source = this.getHandle(sourceId);
    const [state, checkpoint] = await Promise.all([source.state(), source.checkpoint(turn)]);
    const carried: CarriedSessionState = {
      turns: checkpoint.turns,
      summary: checkpoint.summary,
      turnCount: checkpoint.turn,
      steps: 0,
      usage: emptyUsage(),
      pauseRequested: false,
      continuations: 0,
      forkedFrom: { sessionId: sourceId, turn: checkpoint.turn },
    };
    const config: CreateSessionOptions = { ...state.config, sessionId: options.sessionId };
    for (const key of ['user', 'model', 'ttlSeconds', 'strategy'] as const)
      if (options[key] !== undefined) Object.assign(config, { [key]: options[key] });
    const { sessionId, startOptions } = this.prepare(config, carried);
    try {
      await this.client.workflow.start<typeof sessionWorkflow>('sessionWorkflow', startOptions);
    } catch (err) {
      throw this.startError(err, sessionId);
    }
    return this.getHandle(sessionId);
  }

  /**
   * Deletes a session for good: every run of it (continue-as-new leaves earlier runs behind); an open one is
   * terminated first. Temporal deletes in the background: an open session is gone at once, a closed one stays
   * readable (closed, taking no messages) for 10-30 s. With `wait`, returns once it is gone (its id free again).
   */
  delete(sessionId: string, options: DeleteOptions = {}): Promise<void> {
    parseArg(sessionIdSchema, sessionId, 'session id');
    return deleteSession(this.client, sessionId, options);
  }

  /** Sessions newest first, from visibility (no worker needed). */
  list(filter: ListSessionsFilter = {}): Promise<SessionInfo[]> {
    return listSessions(this.client, filter);
  }

  /** Closes every open session of `user`; other users' sessions are not touched. Returns the ids closed. */
  async closeAll(user: string, options: BatchOptions = {}): Promise<string[]> {
    parseArg(userIdSchema, user, 'user');
    const open = [
      ...(await this.list({ user, status: 'open', limit: 10_000 })),
      ...(await this.list({ user, status: 'paused', limit: 10_000 })),
    ];
    const closed: string[] = [];
    await forEachLimited(open, async ({ sessionId }) => {
      const handle = this.getHandle(sessionId);
      const state = await handle
        .close()
        .catch((err) =>
          err instanceof AgentError && err.type === ErrorType.NotFound ? undefined : Promise.reject(err),
        );
      if (!state) return;
      closed.push(sessionId);
      if (options.wait) await handle.result().catch(() => undefined);
    });
    return closed.sort();
  }

  /** Deletes every session of `user` (open or closed; see `delete`); other users' sessions are not touched. Returns the ids. */
  async deleteAll(user: string, options: DeleteOptions = {}): Promise<string[]> {
    parseArg(userIdSchema, user, 'user');
    const ids = new Set<string>();
    const query = `${agentKindKey.name} = 'session' AND ${agentUserKey.name} = '${user}'`;
    for await (const execution of this.client.workflow.list({ query })) ids.add(execution.workflowId);
    const deleted: string[] = [];
    await forEachLimited([...ids], async (sessionId) => {
      await this.delete(sessionId, options).then(
        () => deleted.push(sessionId),
        (err) => (err instanceof AgentError && err.type === ErrorType.NotFound ? undefined : Promise.reject(err)),
      );
    });
    return deleted.sort();
  }

  /** Counts by status, turns, tokens and cost, per user and overall (one user with `user`). */
  stats(filter: { user?: string } = {}): Promise<SessionStats> {
    return sessionStats(this.client, filter);
  }

  private prepare(options: CreateSessionOptions, carried?: CarriedSessionState) {
    if (options.sessionId !== undefined) parseArg(sessionIdSchema, options.sessionId, 'session id');
    const { sessionId: givenId, ...config } = options;
    const resolution = resolveSession({
      ...config,
      template: config.template ?? 'chat',
      model: modelOrDefault(config.model, this.defaultModel),
      carried,
    });
    if (!resolution.ok) throw new AgentError(resolution.type, resolution.message);
    const { session } = resolution;
    const sessionId = givenId ?? `session-${randomUUID()}`;
    const startOptions: WorkflowStartOptions<typeof sessionWorkflow> & { workflowIdConflictPolicy: 'USE_EXISTING' } = {
      taskQueue: this.taskQueue,
      workflowId: sessionId,
      args: [session.input],
      // Same id while open: that session. Same id after it closed: refused (a closed session takes no messages).
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      typedSearchAttributes: [
        { key: agentKindKey, value: 'session' },
        { key: agentUserKey, value: session.input.user },
        { key: agentTemplateKey, value: session.template },
        { key: agentStatusKey, value: 'open' },
        { key: agentModelKey, value: session.input.model },
      ],
      staticSummary: `${session.template} session for ${session.input.user} on ${session.input.model}`,
    };
    return { sessionId, startOptions };
  }

  private startError(err: unknown, sessionId: string): unknown {
    if (err instanceof WorkflowExecutionAlreadyStartedError) {
      return new AgentError(
        ErrorType.SessionClosed,
        `Session ${sessionId} exists and is closed; choose another id, or fork it`,
      );
    }
    return toSessionError(err, sessionId);
  }

  /** A caller-given id may name someone else's session: refuse rather than hand it over. */
  private async checkOwner(handle: SessionHandle, user: string): Promise<void> {
    const owner = (await handle.workflow.describe()).typedSearchAttributes.get(agentUserKey);
    if (owner !== undefined && owner !== user) {
      throw new AgentError(
        ErrorType.PermissionDenied,
        `Session ${handle.sessionId} belongs to another user; choose another id`,
      );
    }
  }
}

async function forEachLimited<T>(items: T[], fn: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  const worker = async () => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) await fn(item);
  };
  await Promise.all(Array.from({ length: Math.min(batchConcurrency, queue.length) }, worker));
}

function parseArg<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success)
    throw new AgentError(ErrorType.InvalidInput, `Invalid ${what}: ${describeZodError(parsed.error)}`);
  return parsed.data;
}
