/**
 * Argument parsing for `agentctl`: which commands exist, which flags each takes, and the usage text.
 *
 * Pure (no I/O, no Temporal), so the rules are easy to test and `agentctl help` needs no server.
 */
import { parseArgs } from 'node:util';

/** Every flag `agentctl` knows; each command accepts a subset. */
const optionSpecs = {
  json: { type: 'boolean' },
  'task-queue': { type: 'string' },
  input: { type: 'string' },
  model: { type: 'string' },
  user: { type: 'string' },
  id: { type: 'string' },
  wait: { type: 'boolean' },
  status: { type: 'string' },
  template: { type: 'string' },
  limit: { type: 'string' },
  after: { type: 'string' },
  follow: { type: 'boolean', short: 'f' },
  help: { type: 'boolean', short: 'h' },
} as const;

type FlagName = keyof typeof optionSpecs;

/** Flags every command accepts. */
const commonFlags: FlagName[] = ['json', 'task-queue', 'help'];

interface CommandSpec {
  /** Names of the positional arguments, in order; all required. */
  args: string[];
  flags: FlagName[];
  /** Flags that must be given. */
  required?: FlagName[];
}

export const commands = {
  start: { args: ['template'], flags: ['input', 'model', 'user', 'id', 'wait'], required: ['input', 'user'] },
  pause: { args: ['id'], flags: [] },
  resume: { args: ['id'], flags: [] },
  stop: { args: ['id'], flags: [] },
  cancel: { args: ['id'], flags: [] },
  state: { args: ['id'], flags: [] },
  result: { args: ['id'], flags: [] },
  ls: { args: [], flags: ['user', 'status', 'template', 'limit'] },
  events: { args: ['id'], flags: ['after', 'follow'] },
  tokens: { args: ['id'], flags: [] },
  usage: { args: [], flags: ['user'], required: ['user'] },
  templates: { args: [], flags: [] },
  tools: { args: [], flags: [] },
  help: { args: [], flags: [] },
} satisfies Record<string, CommandSpec>;

export type CommandName = keyof typeof commands;

export interface ParsedCommand {
  command: CommandName;
  /** Positional arguments by the names in the command's spec. */
  args: Record<string, string>;
  json: boolean;
  taskQueue?: string;
  input?: string;
  model?: string;
  user?: string;
  id?: string;
  wait: boolean;
  status?: string;
  template?: string;
  limit?: number;
  after?: number;
  follow: boolean;
}

/** A command line `agentctl` cannot make sense of; exits 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  /** Stable error type printed as `error: Usage: ...`. */
  readonly type = 'Usage';
}

export const usage = `Usage: agentctl <command> [options]

Commands:
  start <template> --input JSON --user ID [--model SPEC] [--id RUN_ID] [--wait]
                     start a run; prints its id (with --wait, its result)
  pause <id>         pause at the next step boundary
  resume <id>        resume a paused run
  stop <id>          stop gracefully; the run ends "stopped" with its partial result
  cancel <id>        cancel; the call in flight is aborted and the run ends "cancelled"
  state <id>         status, step and usage of a run
  result <id>        wait for a run to end and print its result
  ls [--user U] [--status S] [--template T] [--limit N]
                     list agent runs (default limit 100)
  events <id> [--after SEQ] [--follow]
                     durable step events of a run (with --follow, until it ends; resume with --after)
  tokens <id>        stream the text of a run's model calls while they run (run started with streamTokens)
  usage --user ID    tokens, cost and calls of a user this hour, day and month (UTC), per model
  session <command>  multi-turn sessions (create, send, state, ls, stats, ...); see "agentctl session help"
  templates          list the templates the workers offer (name, source, steps, tools)
  tools              list the tools the workers offer (name, source: builtin, code or mcp:<server>, task queue)
  help               show this text

Options for every command:
  --json             machine output: one JSON document on stdout (errors as JSON on stderr)
  --task-queue Q     task queue of the agent workers (default: AGENT_TASK_QUEUE or "agents")

Model specs look like provider:model[?key=value&...], e.g. openai:gpt-4o-mini or scripted:auto (the default).
Temporal connection: TEMPORAL_ADDRESS (default localhost:7233), TEMPORAL_NAMESPACE, TEMPORAL_API_KEY,
TEMPORAL_TLS_*, or a TEMPORAL_PROFILE from the Temporal config file.
Exit status: 0 ok, 1 the run or its input failed, 2 bad command line.`;

/** Parses `argv` (without `node` and the script) into a command; throws {@link UsageError}. */
export function parseCommandLine(argv: string[]): ParsedCommand {
  let parsed: ReturnType<typeof parseWithTokens>;
  try {
    parsed = parseWithTokens(argv);
  } catch (err) {
    // parseArgs messages are multi-sentence and mention "positional"; keep the first sentence, our wording.
    throw new UsageError(`${firstSentence((err as Error).message)}; run "agentctl help" for usage`);
  }
  const { values, positionals, tokens } = parsed;
  if (values.help) return { command: 'help', args: {}, json: values.json ?? false, wait: false, follow: false };
  const [name, ...rest] = positionals;
  if (name === undefined) throw new UsageError('no command given; run "agentctl help" for usage');
  if (!Object.prototype.hasOwnProperty.call(commands, name)) {
    throw new UsageError(`unknown command "${name}"; use one of ${Object.keys(commands).join(', ')}`);
  }
  const command = name as CommandName;
  const spec: CommandSpec = commands[command];

  const allowed = new Set<string>([...commonFlags, ...spec.flags]);
  for (const token of tokens) {
    if (token.kind === 'option' && !allowed.has(token.name)) throw new UsageError(`${token.rawName} is not an option of "${command}"`);
  }
  for (const flag of spec.required ?? []) {
    if (values[flag] === undefined) throw new UsageError(`"${command}" needs --${flag}`);
  }
  if (rest.length < spec.args.length) throw new UsageError(`"${command}" needs <${spec.args[rest.length]}>`);
  if (rest.length > spec.args.length) throw new UsageError(`unexpected argument "${rest[spec.args.length]}" for "${command}"`);

  return {
    command,
    args: Object.fromEntries(spec.args.map((arg, i) => [arg, rest[i]])),
    json: values.json ?? false,
    taskQueue: nonEmpty(values['task-queue'], '--task-queue'),
    input: values.input,
    model: values.model,
    user: values.user,
    id: values.id,
    wait: values.wait ?? false,
    status: values.status,
    template: values.template,
    limit: values.limit === undefined ? undefined : positiveInt(values.limit, '--limit'),
    after: values.after === undefined ? undefined : nonNegativeInt(values.after, '--after'),
    follow: values.follow ?? false,
  };
}

/** Whether the raw command line asks for JSON, for reporting errors found before parsing succeeded. */
export function wantsJson(argv: string[]): boolean {
  return argv.includes('--json');
}

function parseWithTokens(argv: string[]) {
  return parseArgs({ args: argv, options: optionSpecs, allowPositionals: true, strict: true, tokens: true });
}

function positiveInt(text: string, flag: string): number {
  if (!/^\d+$/.test(text) || Number(text) < 1) throw new UsageError(`${flag} must be a positive integer, got "${text}"`);
  return Number(text);
}

function nonNegativeInt(text: string, flag: string): number {
  if (!/^\d+$/.test(text)) throw new UsageError(`${flag} must be a whole number, got "${text}"`);
  return Number(text);
}

function nonEmpty(text: string | undefined, flag: string): string | undefined {
  if (text !== undefined && text.trim() === '') throw new UsageError(`${flag} must not be empty`);
  return text;
}

function firstSentence(message: string): string {
  return message.split(/\.\s/)[0].replace(/\.$/, '');
}
