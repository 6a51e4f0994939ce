/**
 * `AgentClient`: start agent runs and control them (pause, resume, stop, cancel, state, result, list).
 *
 * Inputs are checked and resolved with `resolveRun` into the spec the run records, so bad input fails here with
 * a typed `AgentError` and nothing is started.
 */
import { randomUUID } from 'node:crypto';
import { WorkflowExecutionAlreadyStartedError, type Client, type WorkflowHandle } from '@temporalio/client';
import { z } from 'zod';
import { AgentError, describeZodError, ErrorType } from '../agents/errors';
import { stateQuery } from '../agents/messages';
import { runIdSchema, runStatuses, userIdSchema, type RunOptions, type RunResult, type RunState, type RunStatus } from '../agents/run';
import { resolveRun } from '../agents/resolve-run';
import { agentKindKey, agentModelKey, agentStatusKey, agentTemplateKey, agentUserKey } from '../agents/search-attributes';
import type { agentRunWorkflow } from '../workflows';
import { CatalogCache, type OfferedCatalog } from './catalog';
import { taskQueueFrom } from './connection';
import { ControlSignals } from './control-signals';
import { defaultModelFrom, modelOrDefault } from './default-model';
import { reachedClosedWorkflow, toAgentError } from './errors';
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
  startTime: Date;
  closeTime?: Date;
}

export interface ListRunsFilter {
  user?: string;
  status?: RunStatus;
  template?: string;
  /** Most runs to return. Default 100. */
  limit?: number;
}

const closedByTemporal = new Set(['TERMINATED', 'TIMED_OUT']);

const listFilterSchema = z.object({
  user: userIdSchema.optional(),
  status: z.enum(runStatuses).optional(),
  template: z.string().regex(/^[A-Za-z0-9_-]+$/).max(100).optional(),
  limit: z.number().int().min(1).max(10_000).optional(),
});

export class AgentClient {
  readonly taskQueue: string;
  private readonly defaultModel: ReturnType<typeof defaultModelFrom>;
  private readonly catalogCache: CatalogCache;

  constructor(
    readonly client: Client,
    options: AgentClientOptions = {},
  ) {
    this.taskQueue = taskQueueFrom(options.taskQueue, options.env);
    this.defaultModel = defaultModelFrom(options.defaultModel, options.env);
    this.catalogCache = new CatalogCache(client, this.taskQueue, options.catalogCacheMs);
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
    if (options.runId !== undefined) parseArg(runIdSchema, options.runId, 'run id');
    const model = modelOrDefault(options.model, this.defaultModel);
    const catalog = await this.catalog();
    const resolution = resolveRun({ template: options.template, input: options.input, model, user: options.user, options: options.options }, catalog);
    if (!resolution.ok) throw new AgentError(resolution.type, resolution.message);
    const { run } = resolution;
    const runId = options.runId ?? `run-${randomUUID()}`;
    try {
      await this.client.workflow.start<typeof agentRunWorkflow>('agentRunWorkflow', {
        taskQueue: this.taskQueue,
        workflowId: runId,
        args: [run.input],
        // Same id while running: return that run. Same id after it closed: still that run (idempotent).
        workflowIdConflictPolicy: 'USE_EXISTING',
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        typedSearchAttributes: [
          { key: agentKindKey, value: 'run' },
          { key: agentUserKey, value: run.input.user },
          { key: agentTemplateKey, value: run.spec.template },
          { key: agentStatusKey, value: 'running' },
          { key: agentModelKey, value: run.model.spec },
        ],
        staticSummary: `${run.spec.template} run for ${run.input.user} on ${run.model.spec}`,
      });
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw toAgentError(err, runId);
    }
    return this.getHandle(runId);
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
    const clauses = [`WorkflowType = 'agentRunWorkflow'`];
    if (f.user) clauses.push(`${agentUserKey.name} = '${f.user}'`);
    if (f.status) clauses.push(`${agentStatusKey.name} = '${f.status}'`);
    if (f.template) clauses.push(`${agentTemplateKey.name} = '${f.template}'`);
    const runs: RunSummary[] = [];
    for await (const execution of this.client.workflow.list({ query: clauses.join(' AND ') })) {
      const sa = execution.typedSearchAttributes;
      runs.push({
        runId: execution.workflowId,
        template: sa.get(agentTemplateKey),
        user: sa.get(agentUserKey),
        // A run terminated or timed out by Temporal never updated its own status attribute.
        status: closedByTemporal.has(execution.status.name) ? execution.status.name.toLowerCase() : sa.get(agentStatusKey),
        model: sa.get(agentModelKey),
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

  state(): Promise<RunState> {
    return this.call(() => this.workflow.query(stateQuery));
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

function parseArg<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new AgentError(ErrorType.InvalidInput, `Invalid ${what}: ${describeZodError(parsed.error)}`);
  return parsed.data;
}
