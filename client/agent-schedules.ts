/**
 * `AgentSchedules` (`agents.schedules`): agent runs on Temporal Schedules. Create, list, pause, unpause, trigger, delete.
 *
 * Each scheduled run is an ordinary run: the schedule's action is built by `AgentClient.prepareStart`, the same
 * function `start` uses (workflow type, task queue, args, search attributes), so scheduled runs are listed, metered
 * and controlled like any other. Bad input (template, input, model, cron, ids) is refused with a typed
 * `AgentError` and nothing is created.
 */
import { randomUUID } from 'node:crypto';
import {
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  type ScheduleHandle,
  type ScheduleSummary,
} from '@temporalio/client';
import { z } from 'zod';
import { AgentError, describeZodError, ErrorType } from '../agents/errors';
import { runWorkflowType } from '../agents/run-workflow-type';
import { userIdSchema } from '../agents/run';
import { agentKindKey, agentModelKey, agentTemplateKey, agentUserKey } from '../agents/search-attributes';
import type { AgentClient, StartRunOptions } from './agent-client';

/**
 * A schedule id. Runs it starts get ids `<schedule id>-<time>` (Temporal appends the time), so it uses the run-id
 * character set and leaves room for the suffix.
 */
export const scheduleIdSchema = z
  .string()
  .min(1)
  .max(150)
  .regex(/^[A-Za-z0-9._:@-]+$/, 'use letters, digits and . _ : @ - only');

/**
 * A cron expression as Temporal reads it: 5 fields (minute hour day-of-month month day-of-week), 6 (+ year) or
 * 7 (second first), `@hourly`-style names, or `@every <duration>[/<offset>]` such as `@every 30m`. The server
 * checks the fields; a bad one is refused with `InvalidInput`.
 */
const cronSchema = z
  .string()
  .trim()
  .min(1)
  .max(200)
  .regex(/^[^\n\r]+$/, 'one line');

export const createScheduleSchema = z
  .object({
    /** Template of every run, as for `start`. */
    template: z.string().min(1).max(100),
    /** Template input of every run, as for `start`. */
    input: z.unknown(),
    user: userIdSchema,
    /** Model spec; default the client's `defaultModel` (AGENT_DEFAULT_MODEL), as for `start`. */
    model: z.string().min(1).max(200).optional(),
    /** One cron expression or several (the schedule fires at the union of their times). */
    cron: z.union([cronSchema, z.array(cronSchema).min(1).max(20)]).transform((c) => (Array.isArray(c) ? c : [c])),
    /** Default `schedule-<uuid>`. */
    scheduleId: scheduleIdSchema.optional(),
    /** Run options of every run (checked like `start`'s). */
    options: z.unknown().optional(),
    /** Create it paused. Default false. */
    paused: z.boolean().optional(),
    /** Shown with the schedule (e.g. who made it and why). */
    note: z.string().max(500).optional(),
  })
  .strict();
export type CreateScheduleOptions = z.input<typeof createScheduleSchema>;

export interface ScheduleListFilter {
  user?: string;
  template?: string;
  /** Most schedules to return. Default 100. */
  limit?: number;
}

const listFilterSchema = z
  .object({
    user: userIdSchema.optional(),
    template: z
      .string()
      .regex(/^[A-Za-z0-9_-]+$/)
      .max(100)
      .optional(),
    limit: z.number().int().min(1).max(10_000).optional(),
  })
  .strict();

/** One schedule as `list` shows it. */
export interface AgentScheduleSummary {
  scheduleId: string;
  template?: string;
  user?: string;
  model?: string;
  cron: string[];
  paused: boolean;
  note?: string;
  /** Next fire times the server computed (a few). */
  nextRuns: Date[];
  /** Runs it started most recently, oldest first. */
  recentRuns: { runId: string; scheduledAt: Date }[];
}

/** What a schedule carries for display; Temporal keeps cron strings only in compiled form. */
interface ScheduleMemo {
  template: string;
  user: string;
  model: string;
  cron: string[];
}

export class AgentSchedules {
  constructor(private readonly agents: AgentClient) {}

  /** Creates a schedule of runs; returns its id. */
  async create(options: CreateScheduleOptions): Promise<string> {
    const o = parse(createScheduleSchema, options, 'schedule');
    const run: StartRunOptions = {
      template: o.template,
      input: o.input,
      user: o.user,
      model: o.model,
      options: o.options as StartRunOptions['options'],
    };
    // Throws the same typed errors as `start` (UnknownTemplate, InvalidInput, UnknownModel, UnknownTool).
    const prepared = await this.agents.prepareStart(run);
    const scheduleId = o.scheduleId ?? `schedule-${randomUUID()}`;
    const { model } = prepared;
    const memo: ScheduleMemo = { template: o.template, user: o.user, model, cron: o.cron };
    try {
      await this.agents.client.schedule.create({
        scheduleId,
        spec: { cronExpressions: o.cron },
        action: {
          type: 'startWorkflow',
          workflowType: runWorkflowType,
          workflowId: scheduleId,
          ...prepared.workflowOptions,
        },
        state: { paused: o.paused ?? false, note: o.note },
        memo: { ...memo },
        // The schedule's own attributes, so schedules are listed by user and template; its runs carry theirs.
        typedSearchAttributes: [
          { key: agentKindKey, value: 'schedule' },
          { key: agentUserKey, value: o.user },
          { key: agentTemplateKey, value: o.template },
          { key: agentModelKey, value: model },
        ],
      });
    } catch (err) {
      throw scheduleError(err, scheduleId);
    }
    return scheduleId;
  }

  async list(filter: ScheduleListFilter = {}): Promise<AgentScheduleSummary[]> {
    const f = parse(listFilterSchema, filter, 'schedule filter');
    // Values are validated above to a safe character set, so quoting cannot be broken.
    const clauses = [`${agentKindKey.name} = 'schedule'`];
    if (f.user) clauses.push(`${agentUserKey.name} = '${f.user}'`);
    if (f.template) clauses.push(`${agentTemplateKey.name} = '${f.template}'`);
    const out: AgentScheduleSummary[] = [];
    for await (const s of this.agents.client.schedule.list({ query: clauses.join(' AND ') })) {
      out.push(summarize(s));
      if (out.length >= (f.limit ?? 100)) break;
    }
    return out;
  }

  /** Stops firing until `unpause`; runs already started go on. */
  pause(scheduleId: string, note?: string): Promise<void> {
    return this.call(scheduleId, (h) => h.pause(note));
  }

  unpause(scheduleId: string, note?: string): Promise<void> {
    return this.call(scheduleId, (h) => h.unpause(note));
  }

  /** Starts one run now (even when paused). */
  trigger(scheduleId: string): Promise<void> {
    return this.call(scheduleId, (h) => h.trigger());
  }

  /** Deletes the schedule; runs it started go on. */
  delete(scheduleId: string): Promise<void> {
    return this.call(scheduleId, (h) => h.delete());
  }

  private async call(scheduleId: string, fn: (h: ScheduleHandle) => Promise<unknown>): Promise<void> {
    parse(scheduleIdSchema, scheduleId, 'schedule id');
    try {
      await fn(this.agents.client.schedule.getHandle(scheduleId));
    } catch (err) {
      throw scheduleError(err, scheduleId);
    }
  }
}

function summarize(s: ScheduleSummary): AgentScheduleSummary {
  const memo = (s.memo ?? {}) as Partial<ScheduleMemo>;
  return {
    scheduleId: s.scheduleId,
    template: memo.template,
    user: memo.user,
    model: memo.model,
    cron: memo.cron ?? [],
    paused: s.state.paused,
    note: s.state.note || undefined,
    nextRuns: s.info.nextActionTimes,
    recentRuns: s.info.recentActions.map((a) => ({ runId: a.action.workflow.workflowId, scheduledAt: a.scheduledAt })),
  };
}

function scheduleError(err: unknown, scheduleId: string): unknown {
  if (err instanceof AgentError) return err;
  if (err instanceof ScheduleNotFoundError || (err as { code?: number })?.code === 5) {
    return new AgentError(ErrorType.NotFound, `No schedule ${scheduleId} found`);
  }
  if (err instanceof ScheduleAlreadyRunning)
    return new AgentError(
      ErrorType.AlreadyExists,
      `A schedule ${scheduleId} already exists; delete it or choose another id`,
    );
  // The server checks cron expressions; the SDK turns its "Invalid schedule spec" into a TypeError.
  if (err instanceof TypeError)
    return new AgentError(
      ErrorType.InvalidInput,
      `Invalid schedule: ${err.message}; see "agentctl schedule help" for the cron forms`,
    );
  if ((err as { code?: number })?.code === 3)
    return new AgentError(ErrorType.InvalidInput, (err as Error).message.replace(/^\d+ INVALID_ARGUMENT: /, ''));
  return err;
}

function parse<T>(schema: z.ZodType<T, any>, value: unknown, what: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success)
    throw new AgentError(ErrorType.InvalidInput, `Invalid ${what}: ${describeZodError(parsed.error)}`);
  return parsed.data;
}
