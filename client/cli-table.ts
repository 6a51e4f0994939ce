/**
 * The `agentctl` command table: each command declared once (positional arguments, flags with zod schemas, help
 * text, handler), from which parsing, validation and help are generated (see cli-parse.ts and cli-help.ts).
 *
 * Adding a command is one entry in a table (`defineCommand({...})`) and its handler; flags every command takes
 * are {@link commonFlags}. Pure declarations: no I/O here.
 */
import type { Client } from '@temporalio/client';
import { z } from 'zod';
import { AgentError, ErrorType } from '../agents/errors';

/** One `--flag`: a boolean switch, or a string value checked (and converted) by `schema`. */
export interface FlagSpec<T = unknown> {
  type: 'boolean' | 'string';
  /** One-letter alias, e.g. `f` for `-f`. */
  short?: string;
  /** Placeholder of the value in help, e.g. `JSON`. */
  value?: string;
  /** One line for the help text. */
  help: string;
  /** Checks and converts a string value; its first issue's message completes "--flag ...". */
  schema?: z.ZodType<T>;
}

/** One positional argument; `schema` as for flags. */
export interface ArgSpec<T = unknown> {
  help?: string;
  schema?: z.ZodType<T>;
}

type Flags = Record<string, FlagSpec<any>>;
type Args = Record<string, ArgSpec<any>>;
/** A boolean flag's value is a boolean; a value with a schema is what the schema returns; else the string. */
type ValueOf<S> = S extends { type: 'boolean' }
  ? boolean
  : S extends { schema?: z.ZodType<infer T> }
    ? unknown extends T
      ? string
      : T
    : string;

/** Values of the flags given on the command line; absent flags are `undefined`. */
export type FlagValues<F extends Flags> = { [K in keyof F]?: ValueOf<F[K]> };
/** Positional arguments by name, converted by their schemas. */
export type ArgValues<A extends Args> = { [K in keyof A]: ValueOf<A[K]> };

/** What a handler gets: its arguments and flags, the common settings and where to write. */
export interface CommandContext<F extends Flags = Flags, A extends Args = Args> {
  /** The command as typed, e.g. `session ls`. */
  path: string;
  args: ArgValues<A>;
  flags: FlagValues<F>;
  /** `--json` given: print one JSON document (or JSON lines for streams). */
  json: boolean;
  /** Task queue from `--task-queue`, else AGENT_TASK_QUEUE, else `agents`. */
  taskQueue: string;
  /** The environment with `--address` / `--namespace` applied (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE). */
  env: NodeJS.ProcessEnv;
  /** Prints `human`, or `machine` as JSON with `--json`, as one line. */
  print(human: string, machine: unknown): void;
  /** Writes raw text to stdout (streams). */
  write(text: string): void;
  /** Connects to Temporal on first use; `runCli` closes the connection when the command is done. */
  client(): Promise<Client>;
}

export interface CommandSpec<F extends Flags = Flags, A extends Args = Args> {
  /** One line for the command list. */
  summary: string;
  /** Positional arguments in order; all required. */
  args?: A;
  /** Flags of this command besides {@link commonFlags}. */
  flags?: F;
  /** Flags that must be given. */
  required?: (keyof F & string)[];
  run(ctx: CommandContext<F, A>): Promise<void> | void;
}

/** A table of commands by path (`start`, `session ls`) and the groups their first word may name. */
export interface CommandTable {
  commands: Record<string, CommandSpec<any, any>>;
  /** Summary of each group (`session`) for the top-level list. */
  groups: Record<string, string>;
}

/** Declares a command; the identity function, there so flag and argument types reach the handler. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- `{}`: no flags or arguments declared
export function defineCommand<F extends Flags = {}, A extends Args = {}>(spec: CommandSpec<F, A>): CommandSpec<F, A> {
  return spec;
}

/** A command line `agentctl` cannot make sense of; exits 2 and prints as `error: Usage: ...`. */
export class UsageError extends AgentError {
  constructor(message: string) {
    super(ErrorType.Usage, message);
  }
}

const digits = z
  .string()
  .regex(/^\d+$/, 'must be a whole number')
  .transform(Number)
  .refine(Number.isSafeInteger, 'is too large');

/** Value schemas shared by commands; messages complete "--flag ..." or "<arg> ...". */
export const values = {
  /** 0, 1, 2, ... */
  wholeNumber: digits,
  /** 1, 2, 3, ... */
  positiveInteger: digits.refine((n) => n >= 1, 'must be a positive integer'),
  nonEmpty: z.string().refine((s) => s.trim() !== '', 'must not be empty'),
};

export const flag = {
  boolean: (help: string, short?: string): FlagSpec<boolean> => ({
    type: 'boolean',
    help,
    ...(short ? { short } : {}),
  }),
  string: <T = string>(value: string, help: string, schema?: z.ZodType<T>): FlagSpec<T> => ({
    type: 'string',
    value,
    help,
    ...(schema ? { schema } : {}),
  }),
};

/** Flags every command accepts, anywhere on the command line. */
export const commonFlags = {
  json: flag.boolean('machine output: one JSON document on stdout (errors as JSON on stderr)'),
  'task-queue': flag.string(
    'Q',
    'task queue of the agent workers (default: AGENT_TASK_QUEUE or "agents")',
    values.nonEmpty,
  ),
  address: flag.string('HOST:PORT', 'Temporal server (default: TEMPORAL_ADDRESS or localhost:7233)', values.nonEmpty),
  namespace: flag.string('NS', 'Temporal namespace (default: TEMPORAL_NAMESPACE or "default")', values.nonEmpty),
  help: flag.boolean('show the help of the command', 'h'),
};
export type CommonFlags = FlagValues<typeof commonFlags>;
