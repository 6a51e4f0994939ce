/**
 * `agentctl session ...`: create, talk to, inspect, fork, close and delete sessions, and the per-user batch
 * commands. `runCli` hands every command line that starts with `session` to {@link runSessionCommand}, which
 * throws `UsageError` / `AgentError` for `runCli` to report like any other command's.
 */
import type { Client } from '@temporalio/client';
import { parseArgs } from 'node:util';
import { taskQueueFrom } from './connection';
import { UsageError } from './cli-args';
import { formatCheckpoint, formatReply, formatSessions, formatSessionState, formatStats } from './cli-session-format';
import { SessionManager, type CreateSessionOptions } from './session-manager';
import type { SessionListStatus, SessionStrategy, SummaryMode } from '../agents/session';

const optionSpecs = {
  json: { type: 'boolean' },
  'task-queue': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  user: { type: 'string' },
  id: { type: 'string' },
  template: { type: 'string' },
  model: { type: 'string' },
  ttl: { type: 'string' },
  strategy: { type: 'string' },
  tools: { type: 'string' },
  'max-steps': { type: 'string' },
  system: { type: 'string' },
  'keep-turns': { type: 'string' },
  'max-chars': { type: 'string' },
  summary: { type: 'string' },
  stream: { type: 'boolean' },
  'message-id': { type: 'string' },
  status: { type: 'string' },
  limit: { type: 'string' },
  wait: { type: 'boolean' },
} as const;
type Flag = keyof typeof optionSpecs;

const commonFlags: Flag[] = ['json', 'task-queue', 'help'];
const createFlags: Flag[] = ['user', 'id', 'template', 'model', 'ttl', 'strategy', 'tools', 'max-steps', 'system', 'keep-turns', 'max-chars', 'summary', 'stream'];

const subcommands: Record<string, { args: string[]; flags: Flag[]; required?: Flag[] }> = {
  create: { args: [], flags: createFlags, required: ['user'] },
  send: { args: ['id', 'message'], flags: ['message-id'] },
  state: { args: ['id'], flags: [] },
  checkpoint: { args: ['id', 'turn'], flags: [] },
  fork: { args: ['id', 'turn'], flags: ['id', 'user', 'model', 'ttl', 'strategy'] },
  close: { args: ['id'], flags: ['wait'] },
  delete: { args: ['id'], flags: ['wait'] },
  pause: { args: ['id'], flags: [] },
  resume: { args: ['id'], flags: [] },
  stop: { args: ['id'], flags: [] },
  ls: { args: [], flags: ['user', 'status', 'limit'] },
  'close-all': { args: [], flags: ['user', 'wait'], required: ['user'] },
  'delete-all': { args: [], flags: ['user', 'wait'], required: ['user'] },
  stats: { args: [], flags: ['user'] },
  help: { args: [], flags: [] },
};

export const sessionUsage = `Usage: agentctl session <command> [options]

Commands:
  create --user ID [--template chat|react] [--model SPEC] [--id SESSION_ID] [--ttl SECONDS]
         [--strategy enqueue|reject|interrupt] [--tools a,b] [--max-steps N] [--system TEXT]
         [--keep-turns N] [--max-chars N] [--summary digest|model|none] [--stream]
                          create a session (same --id again: the same session); prints its id
  send <id> <message> [--message-id KEY]
                          run one turn and print the reply
  state <id>              status, turns, usage, memory and expiry
  checkpoint <id> <turn>  the session at the end of a turn: messages and usage
  fork <id> <turn> [--id NEW_ID] [--user ID] [--model SPEC] [--ttl SECONDS] [--strategy S]
                          a new session starting from that turn; prints its id
  close <id> [--wait]     refuse new messages; accepted ones finish (--wait: until closed)
  delete <id> [--wait]    terminate if open and delete every run (--wait: until Temporal has)
  pause <id> | resume <id> | stop <id>
                          as for runs; stop cancels the running turn and closes the session
  ls [--user ID] [--status open|paused|closed] [--limit N]
                          list sessions (default limit 100)
  close-all --user ID [--wait]   close every open session of a user
  delete-all --user ID [--wait]  delete every session of a user
  stats [--user ID]       sessions by status, turns, tokens and cost, per user and overall
  help                    show this text

Options for every command: --json (machine output), --task-queue Q (default AGENT_TASK_QUEUE or "agents").`;

export interface SessionCommandIO {
  stdout: { write(text: string): unknown };
  env: NodeJS.ProcessEnv;
}

/** Runs `agentctl session <argv...>`; `connect` opens the Temporal client (closed here when done). */
export async function runSessionCommand(argv: string[], io: SessionCommandIO, connect: () => Promise<Client>): Promise<void> {
  const cmd = parseSessionCommand(argv);
  const print = (human: string, machine: unknown) => io.stdout.write(`${cmd.json ? JSON.stringify(machine) : human}\n`);
  if (cmd.name === 'help') return void print(sessionUsage, { usage: sessionUsage });
  const { values: v, args } = cmd;
  const client = await connect();
  try {
    const sessions = new SessionManager(client, { taskQueue: taskQueueFrom(v['task-queue'], io.env) });
    switch (cmd.name) {
      case 'create': {
        const handle = await sessions.create(createOptions(v));
        return void print(handle.sessionId, { sessionId: handle.sessionId });
      }
      case 'send': {
        const reply = await sessions.getHandle(args.id).send(args.message, { messageId: v['message-id'] });
        return void print(formatReply(reply), reply);
      }
      case 'state': {
        const state = await sessions.getHandle(args.id).state();
        return void print(formatSessionState(state), state);
      }
      case 'checkpoint': {
        const checkpoint = await sessions.getHandle(args.id).checkpoint(int(args.turn, '<turn>', 0));
        return void print(formatCheckpoint(checkpoint), checkpoint);
      }
      case 'fork': {
        const fork = await sessions.fork(args.id, int(args.turn, '<turn>', 0), {
          sessionId: v.id,
          user: v.user,
          model: v.model,
          ttlSeconds: optionalInt(v.ttl, '--ttl'),
          strategy: v.strategy as SessionStrategy | undefined,
        });
        return void print(fork.sessionId, { sessionId: fork.sessionId, forkedFrom: { sessionId: args.id, turn: Number(args.turn) } });
      }
      case 'close': {
        const handle = sessions.getHandle(args.id);
        const state = await handle.close();
        if (v.wait) {
          const result = await handle.result();
          return void print(`${args.id} closed after ${result.turns} turn(s)`, result);
        }
        return void print(`${args.id} ${state.status}`, state);
      }
      case 'delete': {
        await sessions.delete(args.id, { wait: v.wait });
        return void print(`${args.id} deleted${v.wait ? '' : ' (Temporal finishes in the background)'}`, { sessionId: args.id, deleted: true });
      }
      case 'pause':
      case 'resume':
      case 'stop': {
        await sessions.getHandle(args.id)[cmd.name]();
        return void print(`${cmd.name} requested for ${args.id}`, { sessionId: args.id, requested: cmd.name });
      }
      case 'ls': {
        const list = await sessions.list({ user: v.user, status: v.status as SessionListStatus | undefined, limit: optionalInt(v.limit, '--limit') });
        return void print(formatSessions(list), list);
      }
      case 'close-all': {
        const closed = await sessions.closeAll(v.user!, { wait: v.wait });
        return void print(`closed ${closed.length} session(s) of ${v.user}${closed.length ? `: ${closed.join(', ')}` : ''}`, { user: v.user, closed });
      }
      case 'delete-all': {
        const deleted = await sessions.deleteAll(v.user!, { wait: v.wait });
        return void print(`deleted ${deleted.length} session(s) of ${v.user}${deleted.length ? `: ${deleted.join(', ')}` : ''}`, { user: v.user, deleted });
      }
      case 'stats': {
        const stats = await sessions.stats({ user: v.user });
        return void print(formatStats(stats), stats);
      }
    }
  } finally {
    await client.connection.close().catch(() => undefined);
  }
}

type Values = { [K in Flag]?: (typeof optionSpecs)[K]['type'] extends 'boolean' ? boolean : string };

function parseSessionCommand(argv: string[]): { name: string; args: Record<string, string>; values: Values; json: boolean } {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: optionSpecs, allowPositionals: true, strict: true, tokens: true });
  } catch (err) {
    throw new UsageError(`${(err as Error).message.split(/\.\s/)[0]}; run "agentctl session help" for usage`);
  }
  const { values, positionals, tokens } = parsed;
  const json = values.json ?? false;
  if (values.help) return { name: 'help', args: {}, values, json };
  const [name, ...rest] = positionals;
  if (name === undefined) throw new UsageError('no session command given; run "agentctl session help" for usage');
  const spec = Object.prototype.hasOwnProperty.call(subcommands, name) ? subcommands[name] : undefined;
  if (!spec) throw new UsageError(`unknown session command "${name}"; use one of ${Object.keys(subcommands).join(', ')}`);
  const allowed = new Set<string>([...commonFlags, ...spec.flags]);
  for (const token of tokens) {
    if (token.kind === 'option' && !allowed.has(token.name)) throw new UsageError(`${token.rawName} is not an option of "session ${name}"`);
  }
  for (const flag of spec.required ?? []) if (values[flag] === undefined) throw new UsageError(`"session ${name}" needs --${flag}`);
  if (rest.length < spec.args.length) throw new UsageError(`"session ${name}" needs <${spec.args[rest.length]}>`);
  if (rest.length > spec.args.length) throw new UsageError(`unexpected argument "${rest[spec.args.length]}" for "session ${name}"`);
  return { name, args: Object.fromEntries(spec.args.map((arg, i) => [arg, rest[i]])), values, json };
}

function createOptions(v: Values): CreateSessionOptions {
  const memory = {
    keepTurns: optionalInt(v['keep-turns'], '--keep-turns'),
    maxChars: optionalInt(v['max-chars'], '--max-chars'),
    summary: v.summary as SummaryMode | undefined,
  };
  const defined = <T extends object>(o: T) => Object.fromEntries(Object.entries(o).filter(([, x]) => x !== undefined)) as T;
  // Bad values (unknown strategy, template, tool, ...) are rejected by `create` with InvalidInput naming what to use.
  return defined({
    user: v.user!,
    sessionId: v.id,
    template: v.template,
    model: v.model,
    ttlSeconds: optionalInt(v.ttl, '--ttl'),
    strategy: v.strategy as SessionStrategy | undefined,
    tools: v.tools?.split(',').map((t) => t.trim()).filter(Boolean),
    maxStepsPerTurn: optionalInt(v['max-steps'], '--max-steps'),
    systemPrompt: v.system,
    memory: Object.values(memory).some((x) => x !== undefined) ? defined(memory) : undefined,
    options: v.stream ? { streamTokens: true } : undefined,
  });
}

function int(text: string, what: string, min = 1): number {
  if (!/^\d+$/.test(text) || Number(text) < min) throw new UsageError(`${what} must be a whole number${min > 0 ? ' above 0' : ''}, got "${text}"`);
  return Number(text);
}

function optionalInt(text: string | undefined, flag: string): number | undefined {
  return text === undefined ? undefined : int(text, flag);
}
