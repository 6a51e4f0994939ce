/**
 * `agentctl session ...`: create, talk to, inspect, fork, close and delete sessions, and the per-user batch
 * commands. Entries of the command table like the run commands; `runCli` parses and reports for both.
 */
import type { SessionListStatus, SessionStrategy, SummaryMode } from '../agents/session';
import { formatCheckpoint, formatReply, formatSessions, formatSessionState, formatStats } from './cli-session-format';
import { defineCommand, flag, values, type CommandContext, type CommandSpec, type FlagValues } from './cli-table';
import { SessionManager, type CreateSessionOptions } from './session-manager';

/** Summary of the group in `agentctl help`. */
export const sessionGroup = 'multi-turn sessions (create, send, state, ls, stats, ...)';

const id = { id: { help: 'session id' } };
const turn = { turn: { help: 'turn number (0: before the first turn)', schema: values.wholeNumber } };
const wait = flag.boolean('wait until Temporal has finished');
// Bad values (unknown strategy, template, tool, ...) are rejected by the library with InvalidInput naming what to use.
const strategy = flag.string('S', 'a message while a turn runs: enqueue (default), reject or interrupt');
const ttl = flag.string('SECONDS', 'close after this long without messages', values.positiveInteger);
const userFlag = flag.string('ID', 'the owner of the session');

const createFlags = {
  user: userFlag,
  id: flag.string('SESSION_ID', 'session id; creating twice with one id returns the same session'),
  template: flag.string('chat|react', 'template of every turn (default chat)'),
  model: flag.string('SPEC', 'model spec provider:model (default: AGENT_DEFAULT_MODEL)'),
  ttl,
  strategy,
  tools: flag.string('a,b', 'tools of a react session'),
  'max-steps': flag.string('N', 'model calls one react turn may take', values.positiveInteger),
  system: flag.string('TEXT', 'system prompt'),
  'keep-turns': flag.string('N', 'turns kept word for word', values.positiveInteger),
  'max-chars': flag.string('N', 'characters of kept turns sent to the model', values.positiveInteger),
  summary: flag.string('digest|model|none', 'how turns that leave memory are kept'),
  stream: flag.boolean('stream model output to token readers'),
};

/** A manager for the session commands; `env` supplies AGENT_DEFAULT_MODEL, the model of a create without --model. */
async function sessions(ctx: CommandContext): Promise<SessionManager> {
  return new SessionManager(await ctx.client(), { taskQueue: ctx.taskQueue, env: ctx.env });
}

function control(verb: 'pause' | 'resume' | 'stop', summary: string) {
  return defineCommand({
    summary,
    args: id,
    async run(ctx) {
      await (await sessions(ctx)).getHandle(ctx.args.id)[verb]();
      ctx.print(`${verb} requested for ${ctx.args.id}`, { sessionId: ctx.args.id, requested: verb });
    },
  });
}

export const sessionCommands: Record<string, CommandSpec<any, any>> = {
  'session create': defineCommand({
    summary: 'create a session (same --id again: the same session); prints its id',
    flags: createFlags,
    required: ['user'],
    async run(ctx) {
      const handle = await (await sessions(ctx)).create(createOptions(ctx.flags));
      ctx.print(handle.sessionId, { sessionId: handle.sessionId });
    },
  }),
  'session send': defineCommand({
    summary: 'run one turn and print the reply',
    args: { ...id, message: { help: 'the user message' } },
    flags: { 'message-id': flag.string('KEY', 'idempotency key: sending twice with one key runs one turn') },
    async run(ctx) {
      const reply = await (
        await sessions(ctx)
      )
        .getHandle(ctx.args.id)
        .send(ctx.args.message, { messageId: ctx.flags['message-id'] });
      ctx.print(formatReply(reply), reply);
    },
  }),
  'session state': defineCommand({
    summary: 'status, turns, usage, memory and expiry',
    args: id,
    async run(ctx) {
      const state = await (await sessions(ctx)).getHandle(ctx.args.id).state();
      ctx.print(formatSessionState(state), state);
    },
  }),
  'session checkpoint': defineCommand({
    summary: 'the session at the end of a turn: messages and usage',
    args: { ...id, ...turn },
    async run(ctx) {
      const checkpoint = await (await sessions(ctx)).getHandle(ctx.args.id).checkpoint(ctx.args.turn);
      ctx.print(formatCheckpoint(checkpoint), checkpoint);
    },
  }),
  'session fork': defineCommand({
    summary: 'a new session starting from that turn; prints its id',
    args: { ...id, ...turn },
    flags: {
      id: flag.string('NEW_ID', 'id of the new session'),
      user: userFlag,
      model: createFlags.model,
      ttl,
      strategy,
    },
    async run(ctx) {
      const { args, flags } = ctx;
      const fork = await (
        await sessions(ctx)
      ).fork(args.id, args.turn, {
        sessionId: flags.id,
        user: flags.user,
        model: flags.model,
        ttlSeconds: flags.ttl,
        strategy: flags.strategy as SessionStrategy | undefined,
      });
      ctx.print(fork.sessionId, { sessionId: fork.sessionId, forkedFrom: { sessionId: args.id, turn: args.turn } });
    },
  }),
  'session close': defineCommand({
    summary: 'refuse new messages; accepted ones finish (--wait: until closed)',
    args: id,
    flags: { wait: flag.boolean('wait until the session has closed') },
    async run(ctx) {
      const handle = (await sessions(ctx)).getHandle(ctx.args.id);
      const state = await handle.close();
      if (!ctx.flags.wait) return ctx.print(`${ctx.args.id} ${state.status}`, state);
      const result = await handle.result();
      ctx.print(`${ctx.args.id} closed after ${result.turns} turn(s)`, result);
    },
  }),
  'session delete': defineCommand({
    summary: 'terminate if open and delete every run (--wait: until Temporal has)',
    args: id,
    flags: { wait },
    async run(ctx) {
      await (await sessions(ctx)).delete(ctx.args.id, { wait: ctx.flags.wait });
      ctx.print(`${ctx.args.id} deleted${ctx.flags.wait ? '' : ' (Temporal finishes in the background)'}`, {
        sessionId: ctx.args.id,
        deleted: true,
      });
    },
  }),
  'session pause': control('pause', 'as for runs: pause at the next step boundary'),
  'session resume': control('resume', 'as for runs: resume a paused session'),
  'session stop': control('stop', 'cancel the running turn and close the session'),
  'session ls': defineCommand({
    summary: 'list sessions (default limit 100)',
    flags: {
      user: flag.string('ID', 'sessions of this user'),
      status: flag.string('open|paused|closed', 'sessions in this status'),
      limit: flag.string('N', 'most sessions to list (default 100)', values.positiveInteger),
    },
    async run(ctx) {
      const { user, status, limit } = ctx.flags;
      const list = await (await sessions(ctx)).list({ user, status: status as SessionListStatus | undefined, limit });
      ctx.print(formatSessions(list), list);
    },
  }),
  'session close-all': defineCommand({
    summary: 'close every open session of a user',
    flags: { user: userFlag, wait: flag.boolean('wait until every session has closed') },
    required: ['user'],
    async run(ctx) {
      const user = ctx.flags.user!;
      const closed = await (await sessions(ctx)).closeAll(user, { wait: ctx.flags.wait });
      ctx.print(`closed ${closed.length} session(s) of ${user}${closed.length ? `: ${closed.join(', ')}` : ''}`, {
        user,
        closed,
      });
    },
  }),
  'session delete-all': defineCommand({
    summary: 'delete every session of a user',
    flags: { user: userFlag, wait },
    required: ['user'],
    async run(ctx) {
      const user = ctx.flags.user!;
      const deleted = await (await sessions(ctx)).deleteAll(user, { wait: ctx.flags.wait });
      ctx.print(`deleted ${deleted.length} session(s) of ${user}${deleted.length ? `: ${deleted.join(', ')}` : ''}`, {
        user,
        deleted,
      });
    },
  }),
  'session stats': defineCommand({
    summary: 'sessions by status, turns, tokens and cost, per user and overall',
    flags: { user: flag.string('ID', 'only this user') },
    async run(ctx) {
      const stats = await (await sessions(ctx)).stats({ user: ctx.flags.user });
      ctx.print(formatStats(stats), stats);
    },
  }),
};

function createOptions(f: FlagValues<typeof createFlags>): CreateSessionOptions {
  const memory = {
    keepTurns: f['keep-turns'],
    maxChars: f['max-chars'],
    summary: f.summary as SummaryMode | undefined,
  };
  const defined = <T extends object>(o: T) =>
    Object.fromEntries(Object.entries(o).filter(([, x]) => x !== undefined)) as T;
  return defined({
    user: f.user!,
    sessionId: f.id,
    template: f.template,
    model: f.model,
    ttlSeconds: f.ttl,
    strategy: f.strategy as SessionStrategy | undefined,
    tools: f.tools
      ?.split(',')
      .map((t) => t.trim())
      .filter(Boolean),
    maxStepsPerTurn: f['max-steps'],
    systemPrompt: f.system,
    memory: Object.values(memory).some((x) => x !== undefined) ? defined(memory) : undefined,
    options: f.stream ? { streamTokens: true } : undefined,
  });
}
