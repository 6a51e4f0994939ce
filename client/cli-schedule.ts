/**
 * `agentctl schedule ...`: runs on Temporal Schedules (create, ls, pause, unpause, trigger, delete). Entries of
 * the command table like the run commands; `runCli` parses and reports for all.
 */
import { AgentError, ErrorType } from '../agents/errors';
import { AgentClient } from './agent-client';
import type { AgentScheduleSummary } from './agent-schedules';
import { formatTable } from './cli-format';
import { defineCommand, flag, values, type CommandContext, type CommandSpec } from './cli-table';

/** Summary of the group in `agentctl help`. */
export const scheduleGroup = 'runs on a schedule (create, ls, pause, unpause, trigger, delete)';

const id = { id: { help: 'schedule id' } };
const note = flag.string('TEXT', 'shown with the schedule (who and why)');

/** A client for the schedule commands; `env` supplies AGENT_DEFAULT_MODEL, the model of a create without --model. */
async function agents(ctx: CommandContext): Promise<AgentClient> {
  return new AgentClient(await ctx.client(), { taskQueue: ctx.taskQueue, env: ctx.env });
}

function action(verb: 'pause' | 'unpause' | 'trigger' | 'delete', summary: string, done: string) {
  return defineCommand({
    summary,
    args: id,
    flags: verb === 'pause' || verb === 'unpause' ? { note } : {},
    async run(ctx) {
      const schedules = (await agents(ctx)).schedules;
      if (verb === 'pause' || verb === 'unpause')
        await schedules[verb](ctx.args.id, (ctx.flags as { note?: string }).note);
      else await schedules[verb](ctx.args.id);
      ctx.print(`${ctx.args.id} ${done}`, { scheduleId: ctx.args.id, done: verb });
    },
  });
}

export const scheduleCommands: Record<string, CommandSpec<any, any>> = {
  'schedule create': defineCommand({
    summary: 'create a schedule of runs; prints its id (runs get ids <schedule id>-<time>)',
    args: { template: { help: 'template name (see "agentctl templates")' } },
    flags: {
      cron: flag.string('EXPR', 'when: cron fields ("0 9 * * 1-5"), "@hourly" or "@every 30m"; several joined by ";"'),
      input: flag.string('JSON', 'the template input of every run'),
      user: flag.string('ID', 'the user the runs are for (quotas, policy, usage)'),
      model: flag.string('SPEC', 'model spec provider:model (default: AGENT_DEFAULT_MODEL)'),
      id: flag.string('SCHEDULE_ID', 'schedule id (default schedule-<uuid>)'),
      options: flag.string('JSON', 'run options of every run, as for start'),
      paused: flag.boolean('create it paused'),
      note,
    },
    required: ['cron', 'input', 'user'],
    async run(ctx) {
      const { flags } = ctx;
      const scheduleId = await (
        await agents(ctx)
      ).schedules.create({
        template: ctx.args.template,
        input: parseJsonFlag(flags.input!, '--input'),
        user: flags.user!,
        model: flags.model,
        cron: flags
          .cron!.split(';')
          .map((c) => c.trim())
          .filter(Boolean),
        scheduleId: flags.id,
        options: flags.options === undefined ? undefined : parseJsonFlag(flags.options, '--options'),
        paused: flags.paused,
        note: flags.note,
      });
      ctx.print(scheduleId, { scheduleId });
    },
  }),
  'schedule ls': defineCommand({
    summary: 'list schedules (default limit 100)',
    flags: {
      user: flag.string('U', 'schedules of this user'),
      template: flag.string('T', 'schedules of this template'),
      limit: flag.string('N', 'most schedules to list (default 100)', values.positiveInteger),
    },
    async run(ctx) {
      const list = await (
        await agents(ctx)
      ).schedules.list({ user: ctx.flags.user, template: ctx.flags.template, limit: ctx.flags.limit });
      ctx.print(formatSchedules(list), list);
    },
  }),
  'schedule pause': action('pause', 'stop firing; runs already started go on', 'paused'),
  'schedule unpause': action('unpause', 'fire again', 'unpaused'),
  'schedule trigger': action('trigger', 'start one run now (even when paused)', 'triggered: a run starts now'),
  'schedule delete': action('delete', 'delete the schedule; runs already started go on', 'deleted'),
};

export function formatSchedules(list: AgentScheduleSummary[]): string {
  if (list.length === 0) return 'no schedules';
  return formatTable(
    ['SCHEDULE ID', 'TEMPLATE', 'USER', 'CRON', 'STATE', 'NEXT RUN', 'LAST RUN'],
    list.map((s) => [
      s.scheduleId,
      s.template ?? '-',
      s.user ?? '-',
      s.cron.join('; ') || '-',
      s.paused ? 'paused' : 'active',
      s.paused || !s.nextRuns[0] ? '-' : s.nextRuns[0].toISOString(),
      s.recentRuns.at(-1)?.runId ?? '-',
    ]),
  );
}

function parseJsonFlag(text: string, flagName: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new AgentError(ErrorType.InvalidInput, `${flagName} is not valid JSON: ${(err as Error).message}`);
  }
}
