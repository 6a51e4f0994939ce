/** `agentctl` commands for agent runs: start, control, inspect, list, follow; and the user and template listings. */
import { AgentError, ErrorType } from '../agents/errors';
import type { RunOptions, RunStatus } from '../agents/run';
import { AgentClient } from './agent-client';
import { templatesCommand, toolsCommand } from './cli-catalog';
import { formatHistory, formatResult, formatRuns, formatState } from './cli-format';
import { defineCommand, flag, values, type CommandContext, type CommandSpec } from './cli-table';
import { formatUsage } from './cli-usage';
import { followEvents, followTokens } from './follow';

const id = { id: { help: 'run id' } };
const userFlag = flag.string('ID', 'the user the run is for (quotas, policy, usage)');

/** A client for the run commands; `env` supplies AGENT_DEFAULT_MODEL, the model of a start without --model. */
async function agents(ctx: CommandContext): Promise<AgentClient> {
  return new AgentClient(await ctx.client(), { taskQueue: ctx.taskQueue, env: ctx.env });
}

/** Signals and cancel only ask: the run acts at its next step boundary (or aborts the call in flight). */
function control(verb: 'pause' | 'resume' | 'stop' | 'cancel', summary: string, requested: string) {
  return defineCommand({
    summary,
    args: id,
    async run(ctx) {
      const handle = (await agents(ctx)).getHandle(ctx.args.id);
      await handle[verb]();
      ctx.print(`${requested} ${handle.runId}`, { runId: handle.runId, requested: verb });
    },
  });
}

export const runCommands: Record<string, CommandSpec<any, any>> = {
  start: defineCommand({
    summary: 'start a run; prints its id (with --wait, its result)',
    args: { template: { help: 'template name (see "agentctl templates")' } },
    flags: {
      input: flag.string('JSON', 'the template input, e.g. \'{"task":"..."}\''),
      model: flag.string('SPEC', 'model spec provider:model (default: AGENT_DEFAULT_MODEL)'),
      user: userFlag,
      id: flag.string('RUN_ID', 'run id; starting twice with one id returns the same run'),
      options: flag.string('JSON', 'run options, e.g. \'{"approval":{"tools":["calculator"]}}\''),
      wait: flag.boolean('wait for the run to end and print its result'),
    },
    required: ['input', 'user'],
    async run(ctx) {
      const { flags } = ctx;
      const input = parseJsonFlag(flags.input!, '--input');
      // Checked by `start` against the run options schema (InvalidInput naming the field).
      const options =
        flags.options === undefined ? undefined : (parseJsonFlag(flags.options, '--options') as RunOptions);
      const handle = await (
        await agents(ctx)
      ).start({ template: ctx.args.template, input, model: flags.model, user: flags.user!, runId: flags.id, options });
      if (!flags.wait) return ctx.print(handle.runId, { runId: handle.runId });
      const result = await handle.result();
      ctx.print(formatResult(result), result);
    },
  }),
  pause: control('pause', 'pause at the next step boundary', 'pause requested for'),
  resume: control('resume', 'resume a paused run', 'resume requested for'),
  stop: control('stop', 'stop gracefully; the run ends "stopped" with its partial result', 'stop requested for'),
  cancel: control(
    'cancel',
    'cancel; the call in flight is aborted and the run ends "cancelled"',
    'cancellation requested for',
  ),
  approve: defineCommand({
    summary: 'approve a tool call the run awaits (no --call: every pending call)',
    args: id,
    flags: { call: flag.string('CALL_ID', 'the pending call to approve (see "agentctl state")') },
    async run(ctx) {
      const result = await (await agents(ctx)).getHandle(ctx.args.id).approve(ctx.flags.call);
      ctx.print(formatDecided(result.decided), result);
    },
  }),
  reject: defineCommand({
    summary: 'reject a tool call the run awaits; the model is told why (no --call: every pending call)',
    args: id,
    flags: {
      call: flag.string('CALL_ID', 'the pending call to reject (see "agentctl state")'),
      reason: flag.string('TEXT', 'why, for the model'),
    },
    async run(ctx) {
      const result = await (await agents(ctx)).getHandle(ctx.args.id).reject(ctx.flags.call, ctx.flags.reason);
      ctx.print(formatDecided(result.decided), result);
    },
  }),
  state: defineCommand({
    summary: 'status, step and usage of a run, and tool calls awaiting approval',
    args: id,
    async run(ctx) {
      const state = await (await agents(ctx)).getHandle(ctx.args.id).state();
      ctx.print(formatState(state), state);
    },
  }),
  history: defineCommand({
    summary: 'the finished steps of a run: model, tokens, cost, tool calls (to choose a step to fork from)',
    args: id,
    async run(ctx) {
      const history = await (await agents(ctx)).history(ctx.args.id);
      ctx.print(formatHistory(history), history);
    },
  }),
  fork: defineCommand({
    summary: 'start a new run from the state after step N of a run (left untouched); prints its id',
    args: id,
    flags: {
      step: flag.string(
        'N',
        'the step to start from (0: the opening messages; see "agentctl history")',
        values.wholeNumber,
      ),
      id: flag.string('NEW_ID', 'id of the new run (default: generated)'),
      user: flag.string('ID', "the user the new run is for (default: the source's)"),
      model: flag.string('SPEC', "model spec provider:model (default: the source's)"),
      options: flag.string('JSON', "run options, replacing the source's (default: the source's)"),
    },
    required: ['step'],
    async run(ctx) {
      const { args, flags } = ctx;
      const options =
        flags.options === undefined ? undefined : (parseJsonFlag(flags.options, '--options') as RunOptions);
      const fork = await (
        await agents(ctx)
      ).fork(args.id, flags.step!, { id: flags.id, user: flags.user, model: flags.model, options });
      ctx.print(fork.runId, { runId: fork.runId, forkedFrom: { runId: args.id, step: flags.step } });
    },
  }),
  result: defineCommand({
    summary: 'wait for a run to end and print its result',
    args: id,
    async run(ctx) {
      const result = await (await agents(ctx)).getHandle(ctx.args.id).result();
      ctx.print(formatResult(result), result);
    },
  }),
  ls: defineCommand({
    summary: 'list agent runs (default limit 100)',
    flags: {
      user: flag.string('U', 'runs of this user'),
      status: flag.string('S', 'running, paused, awaiting_approval, completed, stopped, cancelled, failed, ...'),
      template: flag.string('T', 'runs of this template'),
      parent: flag.string('RUN_ID', 'sub-agent runs this run started'),
      limit: flag.string('N', 'most runs to list (default 100)', values.positiveInteger),
    },
    async run(ctx) {
      const { user, status, template, parent, limit } = ctx.flags;
      // An unknown status is rejected by `list` with InvalidInput naming the allowed values.
      const runs = await (
        await agents(ctx)
      ).list({ user, status: status as RunStatus | undefined, template, parent, limit });
      ctx.print(formatRuns(runs), runs);
    },
  }),
  events: defineCommand({
    summary: 'durable step events of a run (with --follow, until it ends; resume with --after)',
    args: id,
    flags: {
      after: flag.string('SEQ', 'only events after this sequence number', values.wholeNumber),
      follow: flag.boolean('keep printing events until the run ends', 'f'),
    },
    async run(ctx) {
      // One line per event either way: JSON lines with --json, so a follower can resume from the last seq.
      const handle = (await agents(ctx)).getHandle(ctx.args.id).workflow;
      const after = ctx.flags.after ?? 0;
      const stream = ctx.flags.follow ? followEvents(handle, after) : onePage(handle, after);
      for await (const event of stream) {
        ctx.write(
          `${ctx.json ? JSON.stringify(event) : `${event.seq}\t${event.at}\t${event.type}\t${JSON.stringify(event.data)}`}\n`,
        );
      }
    },
  }),
  tokens: defineCommand({
    summary: "stream the text of a run's model calls while they run (run started with streamTokens)",
    args: id,
    async run(ctx) {
      for await (const chunk of followTokens((await agents(ctx)).getHandle(ctx.args.id).workflow)) {
        if (ctx.json) ctx.write(`${JSON.stringify(chunk)}\n`);
        else ctx.write(chunk.done ? '\n' : chunk.text);
      }
    },
  }),
  usage: defineCommand({
    summary: 'tokens, cost and calls of a user this hour, day and month (UTC), per model',
    flags: { user: userFlag },
    required: ['user'],
    async run(ctx) {
      const result = await (await agents(ctx)).usage(ctx.flags.user!);
      ctx.print(formatUsage(result), result);
    },
  }),
  templates: defineCommand({
    summary: 'list the templates the workers offer (name, source, steps, tools)',
    async run(ctx) {
      const out = await templatesCommand(await ctx.client(), ctx.taskQueue);
      ctx.print(out.human, out.machine);
    },
  }),
  tools: defineCommand({
    summary: 'list the tools the workers offer (name, source: builtin, code or mcp:<server>, task queue)',
    async run(ctx) {
      const out = await toolsCommand(await ctx.client(), ctx.taskQueue);
      ctx.print(out.human, out.machine);
    },
  }),
};

async function* onePage(handle: Parameters<typeof followEvents>[0], after: number) {
  const controller = new AbortController();
  controller.abort();
  // An aborted follow yields what is there now and returns.
  yield* followEvents(handle, after, { signal: controller.signal, untilAborted: true });
}

function formatDecided(decided: { callId: string; tool: string; decision: string }[]): string {
  return decided.map((d) => `${d.decision} ${d.tool} (${d.callId})`).join('\n');
}

function parseJsonFlag(text: string, flagName: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new AgentError(ErrorType.InvalidInput, `${flagName} is not valid JSON: ${(err as Error).message}`);
  }
}
