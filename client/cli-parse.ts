/**
 * Parses an `agentctl` command line against a {@link CommandTable}: flags in any position (`agentctl --json session
 * ls` = `agentctl session ls --json`), the command found by its words, flags and arguments checked by their schemas.
 * Pure; throws {@link UsageError}.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { z } from 'zod';
import { commandHelp, groupHelp, tableHelp } from './cli-help';
import {
  commonFlags,
  UsageError,
  type CommandSpec,
  type CommandTable,
  type CommonFlags,
  type FlagSpec,
} from './cli-table';

/** A command to run, or help to print. */
export type ParsedCommandLine =
  | { kind: 'help'; text: string; common: CommonFlags }
  | {
      kind: 'command';
      path: string;
      spec: CommandSpec;
      args: Record<string, any>;
      flags: Record<string, any>;
      common: CommonFlags;
    };

/** Parses `argv` (without `node` and the script). */
export function parseCommandLine(table: CommandTable, argv: string[]): ParsedCommandLine {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: parseOptions(table),
      allowPositionals: true,
      strict: true,
      tokens: true,
    });
  } catch (err) {
    // parseArgs messages are multi-sentence and mention "positional"; keep the first sentence, our wording.
    throw new UsageError(`${firstSentence((err as Error).message)}; run "agentctl help" for usage`);
  }
  const { values: given, positionals, tokens } = parsed;
  const common = checkFlags(commonFlags, given as Record<string, string | boolean | undefined>) as CommonFlags;
  const help = (text: string): ParsedCommandLine => ({ kind: 'help', text, common });

  // `help [command...]` is built in, as is `<group> help`.
  const words = positionals[0] === 'help' ? positionals.slice(1) : positionals;
  const asksHelp = positionals[0] === 'help' || given.help === true;
  const { path, rest, group } = findCommand(table, words);
  if (!path) {
    if (group !== undefined) {
      if (asksHelp || rest[0] === 'help') return help(groupHelp(table, group));
      if (rest.length === 0) throw new UsageError(`no ${group} command given; run "agentctl ${group} help" for usage`);
      throw new UsageError(
        `unknown ${group} command "${rest[0]}"; use one of ${[...subcommands(table, group), 'help'].join(', ')}`,
      );
    }
    if (asksHelp && rest.length === 0) return help(tableHelp(table));
    if (rest.length === 0) throw new UsageError('no command given; run "agentctl help" for usage');
    throw new UsageError(`unknown command "${rest[0]}"; use one of ${[...topLevelWords(table), 'help'].join(', ')}`);
  }
  const spec = table.commands[path];
  if (asksHelp) return help(commandHelp(path, spec));

  const allowed = { ...commonFlags, ...spec.flags } as Record<string, FlagSpec>;
  for (const token of tokens) {
    if (token.kind === 'option' && !Object.prototype.hasOwnProperty.call(allowed, token.name)) {
      throw new UsageError(`${token.rawName} is not an option of "${path}"`);
    }
  }
  for (const name of spec.required ?? []) {
    if (given[name] === undefined) throw new UsageError(`"${path}" needs --${name}`);
  }
  const argNames = Object.keys(spec.args ?? {});
  if (rest.length < argNames.length) throw new UsageError(`"${path}" needs <${argNames[rest.length]}>`);
  if (rest.length > argNames.length)
    throw new UsageError(`unexpected argument "${rest[argNames.length]}" for "${path}"`);
  const args = Object.fromEntries(
    argNames.map((name, i) => [name, check(spec.args![name].schema, rest[i], `<${name}>`)]),
  );
  const flags = checkFlags(spec.flags ?? {}, given as Record<string, string | boolean | undefined>);
  return { kind: 'command', path, spec, args, flags, common };
}

/** Whether the raw command line asks for JSON, for reporting errors found before parsing succeeded. */
export function wantsJson(argv: string[]): boolean {
  return argv.includes('--json');
}

/** Longest table path the leading words name; `group` when the first word is a group without a known subcommand. */
function findCommand(table: CommandTable, words: string[]): { path?: string; rest: string[]; group?: string } {
  for (let n = Math.min(words.length, 2); n > 0; n--) {
    const path = words.slice(0, n).join(' ');
    if (Object.prototype.hasOwnProperty.call(table.commands, path)) return { path, rest: words.slice(n) };
  }
  const first = words[0];
  if (first !== undefined && Object.prototype.hasOwnProperty.call(table.groups, first))
    return { rest: words.slice(1), group: first };
  return { rest: words };
}

export function subcommands(table: CommandTable, group: string): string[] {
  return Object.keys(table.commands)
    .filter((path) => path.startsWith(`${group} `))
    .map((path) => path.slice(group.length + 1));
}

function topLevelWords(table: CommandTable): string[] {
  return [...new Set(Object.keys(table.commands).map((path) => path.split(' ')[0]))];
}

/**
 * parseArgs needs every flag up front to tell a flag's value from a positional, and the command is only known
 * after that: parse with the union of all flags, then refuse those the command does not take.
 */
function parseOptions(table: CommandTable): NonNullable<ParseArgsConfig['options']> {
  const options: NonNullable<ParseArgsConfig['options']> = {};
  const add = (name: string, spec: FlagSpec, where: string) => {
    const option = { type: spec.type, ...(spec.short ? { short: spec.short } : {}) };
    const known = options[name];
    if (known && (known.type !== option.type || known.short !== option.short)) {
      throw new Error(
        `agentctl command table: --${name} of "${where}" differs in type or alias from another command's`,
      );
    }
    options[name] = option;
  };
  for (const [name, spec] of Object.entries(commonFlags)) add(name, spec, 'every command');
  for (const [path, command] of Object.entries(table.commands)) {
    const words = path.split(' ');
    if (words.length > 2 || (words.length === 2 && !Object.prototype.hasOwnProperty.call(table.groups, words[0]))) {
      throw new Error(`agentctl command table: "${path}" must be one word, or a group of table.groups and one word`);
    }
    for (const [name, spec] of Object.entries(command.flags ?? {})) add(name, spec as FlagSpec, path);
  }
  return options;
}

function checkFlags(
  specs: Record<string, FlagSpec>,
  given: Record<string, string | boolean | undefined>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(specs)) {
    const value = given[name];
    if (value === undefined) continue;
    out[name] = typeof value === 'string' ? check(spec.schema, value, `--${name}`) : value;
  }
  return out;
}

function check(schema: z.ZodType | undefined, text: string, what: string): unknown {
  if (!schema) return text;
  const parsed = schema.safeParse(text);
  if (parsed.success) return parsed.data;
  const problem = parsed.error.issues[0]?.message ?? 'is not valid';
  throw new UsageError(`${what} ${problem}${text.trim() ? `, got "${text}"` : ''}`);
}

function firstSentence(message: string): string {
  return message.split(/\.\s/)[0].replace(/\.$/, '');
}
