/**
 * `AgentClient`: start agent runs and control them (pause, resume, stop, cancel, state, result, list).
 *
 * Inputs are checked and resolved with `resolveRun` into the spec the run records, so bad input fails here with
 * a typed `AgentError` and nothing is started.
 */
import { randomUUID } from 'node:crypto';
import {
  InternalConnectionLikeSymbol,
  WorkflowExecutionAlreadyStartedError,
  type Client,
  type InternalConnectionLike,
  type WorkflowHandle,
} from '@temporalio/client';
import { z } from 'zod';
import type { SearchAttributePair } from '@temporalio/common';
import { AgentError, describeZodError, ErrorType } from '../agents/errors';
import { runWorkflowType, runWorkflowTypeClause } from '../agents/run-workflow-type';
import type { ApprovalDecisionResult } from '../agents/approval';
import { approveUpdate, rejectUpdate, stateQuery } from '../agents/messages';
import {
  runIdSchema,
  runStatuses,
  userIdSchema,
  type RunOptions,
  type RunResult,
  type RunState,
  type RunStatus,
} from '../agents/run';
import { resolveRun } from '../agents/resolve-run';
import {
  agentModelKey,
  agentParentKey,
  agentStatusKey,
  agentTemplateKey,
  agentUserKey,
  runSearchAttributes,
} from '../agents/search-attributes';
import type { agentRunWorkflow } from '../workflows';
import { CatalogCache, type OfferedCatalog } from './catalog';
import { AgentSchedules } from './agent-schedules';
import { taskQueueFrom } from './connection';
import { ControlSignals } from './control-signals';
import { defaultModelFrom, modelOrDefault } from './default-model';
import { reachedClosedWorkflow, toAgentError } from './errors';
import { forkRun, type ForkRunOptions } from './run-fork';
import { runHistory, type RunHistory } from './run-history';
import { userUsage, type UserUsage } from './usage';

export interface AgentClientOptions {
  /** Task queue the workers poll. Default AGENT_TASK_QUEUE, else `agents`. */
  taskQueue?: string;
  /**
   * Model spec of runs started without one, e.g. `openai:gpt-4o-mini`. Default AGENT_DEFAULT_MODEL; with
   * neither, `start` without a model is an `InvalidInput` error.
   */
  defaultModel?: string;
  /** Where AGENT_TASK_QUEUE and AGENT_DEFAULT_MODEL are read. Default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** How long the workers' published catalog is cached, in milliseconds. Default 2,000. */
  catalogCacheMs?: number;
  /**
   * Temporal's eager workflow start: the server hands a run's first workflow task straight back with the start, to a
   * worker of this task queue in this process, instead of through the task queue (a trip through the server less per
   * run; it falls back to the queue when that worker has no free slot). Needs `client` built on the `NativeConnection`
   * that worker uses; any other client is refused here with `InvalidInput`. Default false.
   */
  eagerStart?: boolean;
}

export interface StartRunOptions {
  template: string;
  input: unknown;
  /** Model spec `provider:model`. Default: the client's `defaultModel` (AGENT_DEFAULT_MODEL). */
  model?: string;
  user: string;
  /** Idempotency key: starting twice with the same id returns the same run. Generated when omitted. */
  runId?: string;
  options?: RunOptions;
}

export interface RunSummary {
  runId: string;
  template?: string;
  user?: string;
  status?: string;
  model?: string;
  /** A sub-agent's run: the run that started it. */
  parent?: string;
  startTime: Date;
  closeTime?: Date;
}

export interface ListRunsFilter {
  user?: string;
  status?: RunStatus;
  template?: string;
  /** Sub-agent runs started by this run (its direct children). */
  parent?: string;
  /** Most runs to return. Default 100. */
  limit?: number;
}

/** What starting a run's workflow takes, from {@link AgentClient.prepareStart}. */
export interface PreparedRunStart {
  /** The model spec the run uses (the default filled in). */
  model: string;
  /** Workflow start options except the workflow id. */
  workflowOptions: {
    taskQueue: string;
    args: Parameters<typeof agentRunWorkflow>;
    typedSearchAttributes: SearchAttributePair[];
    staticSummary: string;
  };
}

/** Statuses Temporal sets without the run knowing (it cannot update its own status attribute then). */
const statusByTemporal: Record<string, string> = { TERMINATED: 'terminated', TIMED_OUT: 'timed_out', PAUSED: 'paused' };
/** The status of an `agentRun` without an `AgentStatus` attribute: Temporal's execution status says it. */
const statusOfExecution: Record<string, string> = { COMPLETED: 'completed', FAILED: 'failed', CANCELLED: 'cancelled' };

/**
 * The visibility clause of a status filter. An `agentRun` has `AgentStatus` only when Temporal's execution status
 * does not say its status; an `agentRunWorkflow` run has it always (agents/run-workflow-type.ts).
 */
function statusClause(status: RunStatus): string {
  const key = agentStatusKey.name;
  switch (status) {
    case 'running':
      return `ExecutionStatus = 'Running' AND (${key} IS NULL OR ${key} = 'running')`;
    case 'completed':
      return `ExecutionStatus = 'Completed' AND (${key} IS NULL OR ${key} = 'completed')`;
    case 'paused':
      // Runs held by Temporal's own workflow pause are paused too, though their attribute does not say so.
      return `(${key} = 'paused' OR ExecutionStatus = 'Paused')`;
    default:
      return `${key} = '${status}'`;
  }
}

const listFilterSchema = z.object({
  user: userIdSchema.optional(),
  status: z.enum(runStatuses).optional(),
  template: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/)
    .max(100)
    .optional(),
  parent: runIdSchema.optional(),
  limit: z.number().int().min(1).max(10_000).optional(),
});

export class AgentClient {
  readonly taskQueue: string;
  private readonly defaultModel: ReturnType<typeof defaultModelFrom>;
  private readonly catalogCache: CatalogCache;
  private readonly eagerStart: boolean;
  /** Runs on Temporal Schedules: create, list, pause, unpause, trigger, delete. */
  readonly schedules = new AgentSchedules(this);

  constructor(
    readonly client: Client,
    options: AgentClientOptions = {},
  ) {
    this.taskQueue = taskQueueFrom(options.taskQueue, options.env);
    this.defaultModel = defaultModelFrom(options.defaultModel, options.env);
    this.catalogCache = new CatalogCache(client, this.taskQueue, options.catalogCacheMs);
    if (
      options.eagerStart &&
      !(client.connection as InternalConnectionLike)[InternalConnectionLikeSymbol]?.supportsEagerStart
    )
      throw new AgentError(
        ErrorType.InvalidInput,
        'eagerStart needs a Client on the NativeConnection of a worker in this process (new Client({ connection: worker connection }))',
      );
    this.eagerStart = options.eagerStart ?? false;
  }

  /**
   * The templates and tools the workers of this task queue offer (what they published; built-ins when none has).
   * Runs are resolved against it: an unknown template or tool is refused before anything starts.
   */
  catalog(options: { fresh?: boolean } = {}): Promise<OfferedCatalog> {
    if (options.fresh) this.catalogCache.invalidate();
    return this.catalogCache.get().catch((err) => {
      throw toAgentError(err);
    });
  }

  async start(options: StartRunOptions): Promise<AgentRunHandle> {
    const prepared = await this.prepareStart(options);
    const runId = options.runId ?? `run-${randomUUID()}`;
    try {
      await this.client.workflow.start<typeof agentRunWorkflow>(runWorkflowType, {
        ...prepared.workflowOptions,
        workflowId: runId,
        // Same id while running: return that run. Same id after it closed: still that run (idempotent).
        workflowIdConflictPolicy: 'USE_EXISTING',
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        requestEagerStart: this.eagerStart,
      });
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw toAgentError(err, runId);
    }
    return this.getHandle(runId);
  }

  /**
   * Checks a run request and builds what starting its workflow takes (args, task queue, search attributes,
   * summary); throws a typed `AgentError` on bad input. `start` and schedules both use it, so a scheduled run
   * is started exactly as a direct one.
   */
  async prepareStart(options: StartRunOptions): Promise<PreparedRunStart> {
    if (options.runId !== undefined) parseArg(runIdSchema, options.runId, 'run id');
    const model = modelOrDefault(options.model, this.defaultModel);
    const resolution = resolveRun(
      { template: options.template, input: options.input, model, user: options.user, options: options.options },
      await this.catalog(),
    );
    if (!resolution.ok) throw new AgentError(resolution.type, resolution.message);
    const { run } = resolution;
    return {
      model: run.model.spec,
      workflowOptions: {
        taskQueue: this.taskQueue,
        args: [run.input],
        typedSearchAttributes: runSearchAttributes({
          user: run.input.user,
          template: run.spec.template,
          model: run.model.spec,
        }),
        staticSummary: `${run.spec.template} run for ${run.input.user} on ${run.model.spec}`,
      },
    };
  }

  /**
   * Rewind and fork: a new run from the state after `step` of run `runId` (0: its opening messages), which is left
   * untouched. Same recorded spec, conversation through that step, step counter at `step`; same user, model and
   * options unless `options` says otherwise. Its usage starts at zero (its own spending only). Refused with
   * `NotFound` (no such run), `InvalidInput` (a step outside 0 to the source's finished steps, bad options),
   * `UnknownModel` or `AlreadyExists` (the id is taken); nothing starts then.
   */
  async fork(runId: string, step: number, options: ForkRunOptions = {}): Promise<AgentRunHandle> {
    parseArg(runIdSchema, runId, 'run id');
    return this.getHandle(await forkRun(this.client.workflow, this.taskQueue, runId, step, options));
  }

  /** One row per finished step of a run (model, tokens, cost, tool calls, answered); see {@link AgentRunHandle.history}. */
  history(runId: string): Promise<RunHistory> {
    return this.getHandle(runId).history();
  }

  /** The user's tokens, cost and calls this hour, day and month, from the user's ledger. */
  usage(user: string): Promise<UserUsage> {
    return userUsage(this.client, user);
  }

  getHandle(runId: string): AgentRunHandle {
    parseArg(runIdSchema, runId, 'run id');
    return new AgentRunHandle(runId, this.client.workflow.getHandle<typeof agentRunWorkflow>(runId));
  }

  async list(filter: ListRunsFilter = {}): Promise<RunSummary[]> {
    const f = parseArg(listFilterSchema, filter, 'list filter');
    // Values are validated above to a safe character set, so quoting cannot be broken.
    const clauses = [runWorkflowTypeClause];
    if (f.user) clauses.push(`${agentUserKey.name} = '${f.user}'`);
    if (f.status) clauses.push(statusClause(f.status));
    if (f.template) clauses.push(`${agentTemplateKey.name} = '${f.template}'`);
    if (f.parent) clauses.push(`${agentParentKey.name} = '${f.parent}'`);
    const runs: RunSummary[] = [];
    for await (const execution of this.client.workflow.list({ query: clauses.join(' AND ') })) {
      const sa = execution.typedSearchAttributes;
      runs.push({
        runId: execution.workflowId,
        template: sa.get(agentTemplateKey),
        user: sa.get(agentUserKey),
        // A run terminated, timed out or paused by Temporal never updated its own status attribute; an `agentRun`
        // that runs or completed has none.
        status:
          statusByTemporal[execution.status.name] ??
          sa.get(agentStatusKey) ??
          statusOfExecution[execution.status.name] ??
          'running',
        model: sa.get(agentModelKey),
        ...(sa.get(agentParentKey) ? { parent: sa.get(agentParentKey) } : {}),
        startTime: execution.startTime,
        closeTime: execution.closeTime,
      });
      if (runs.length >= (f.limit ?? 100)) break;
    }
    return runs;
  }
}

/** One run: `pause`, `resume`, `stop` (from {@link ControlSignals}), `cancel`, `state`, `result`. */
export class AgentRunHandle extends ControlSignals {
  constructor(
    readonly runId: string,
    readonly workflow: WorkflowHandle<typeof agentRunWorkflow>,
  ) {
    super();
  }

  /** Temporal cancellation: aborts the call in flight; the run ends as `cancelled`. */
  cancel(): Promise<void> {
    return this.call(() => this.workflow.cancel()).then(() => undefined);
  }

  /**
   * Approves the tool call `callId` the run awaits (see `state().pendingApprovals`), or every pending call.
   * Refused with `NotAwaitingApproval` or `UnknownToolCall` (nothing changes).
   */
  async approve(callId?: string): Promise<ApprovalDecisionResult> {
    const args = decisionArgs(callId);
    return this.call(() => this.workflow.executeUpdate(approveUpdate, { args: [args] }));
  }

  /** Rejects like {@link approve} approves: the call is not run and the model is told it was rejected and why. */
  async reject(callId?: string, reason?: string): Promise<ApprovalDecisionResult> {
    const args = decisionArgs(callId, reason);
    return this.call(() => this.workflow.executeUpdate(rejectUpdate, { args: [args] }));
  }

  state(): Promise<RunState> {
    return this.call(() => this.workflow.query(stateQuery));
  }

  /** Its finished steps: model, tokens in/out, cost, tool calls (clipped arguments, error flag), answered. */
  history(): Promise<RunHistory> {
    return runHistory(this.workflow);
  }

  /** Waits for the run to end. Throws an `AgentError` typed by the failure (e.g. `OutputInvalid`, `Cancelled`). */
  result(): Promise<RunResult> {
    return this.call(() => this.workflow.result());
  }

  protected async call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (await reachedClosedWorkflow(err, this.workflow)) {
        throw new AgentError(ErrorType.RunFinished, `Run ${this.runId} has already finished; it takes no more signals`);
      }
      throw toAgentError(err, this.runId);
    }
  }
}

const decisionArgsSchema = z
  .object({ callId: z.string().min(1).max(200).optional(), reason: z.string().max(2000).optional() })
  .strict();

/** `approve` / `reject` arguments, checked with zod (`InvalidInput`); shared with sessions. */
export function decisionArgs(callId?: string, reason?: string): { callId?: string; reason?: string } {
  const args = parseArg(decisionArgsSchema, { callId, reason }, 'approval arguments');
  return {
    ...(args.callId !== undefined ? { callId: args.callId } : {}),
    ...(args.reason !== undefined ? { reason: args.reason } : {}),
  };
}

function parseArg<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success)
    throw new AgentError(ErrorType.InvalidInput, `Invalid ${what}: ${describeZodError(parsed.error)}`);
  return parsed.data;
}
