/** Help texts of `agentctl`, generated from the command table: the command list, a group's, one command's. */
import { commonFlags, type CommandSpec, type CommandTable, type FlagSpec } from './cli-table';

/** Summaries start at this column when the synopsis fits before it. */
const summaryColumn = 21;
const wrapAt = 100;

const footer = `Model specs look like provider:model[?key=value&...], e.g. openai:gpt-4o-mini. A command that starts a run or
session without --model uses AGENT_DEFAULT_MODEL; scripted:auto is a deterministic stand-in for demos and tests.
Temporal connection: TEMPORAL_ADDRESS (default localhost:7233), TEMPORAL_NAMESPACE, TEMPORAL_API_KEY,
TEMPORAL_TLS_*, or a TEMPORAL_PROFILE from the Temporal config file.
Exit status: 0 ok, 1 the run or its input failed, 2 bad command line.`;

/** `agentctl help`: every top-level command, one line per group, the common flags. */
export function tableHelp(table: CommandTable): string {
  const rows: [string, string][] = [];
  const groupsShown = new Set<string>();
  for (const [path, spec] of Object.entries(table.commands)) {
    const group = path.includes(' ') ? path.split(' ')[0] : undefined;
    if (group === undefined) rows.push([synopsis(path, spec), spec.summary]);
    else if (!groupsShown.has(group)) {
      groupsShown.add(group);
      rows.push([`${group} <command>`, `${table.groups[group]}; see "agentctl ${group} help"`]);
    }
  }
  rows.push(['help [command]', 'show this text, or the help of a command (also: <command> --help)']);
  return [
    `Usage: agentctl <command> [options]`,
    '',
    'Commands:',
    ...rows.flatMap(listRow),
    '',
    commonSection(),
    '',
    footer,
  ].join('\n');
}

/** `agentctl session help`: the group's commands. */
export function groupHelp(table: CommandTable, group: string): string {
  const rows: [string, string][] = Object.entries(table.commands)
    .filter(([path]) => path.startsWith(`${group} `))
    .map(([path, spec]) => [synopsis(path.slice(group.length + 1), spec), spec.summary]);
  rows.push(['help', 'show this text']);
  return [
    `Usage: agentctl ${group} <command> [options]`,
    '',
    'Commands:',
    ...rows.flatMap(listRow),
    '',
    commonSection(),
    '',
  ]
    .join('\n')
    .trimEnd();
}

/** `agentctl <command> --help`: synopsis, summary, each flag. */
export function commandHelp(path: string, spec: CommandSpec): string {
  const lines = wrap(`Usage: agentctl ${synopsis(path, spec)}`, '         ');
  lines.push('', spec.summary);
  const args = Object.entries(spec.args ?? {}).filter(([, a]) => a.help);
  if (args.length) lines.push('', 'Arguments:', ...args.flatMap(([name, a]) => listRow([`<${name}>`, a.help!])));
  const flags = Object.entries(spec.flags ?? {}) as [string, FlagSpec][];
  if (flags.length) {
    const required = new Set<string>(spec.required ?? []);
    lines.push(
      '',
      'Options:',
      ...flags.flatMap(([name, f]) => listRow([flagText(name, f), f.help + (required.has(name) ? ' (required)' : '')])),
    );
  }
  lines.push('', commonSection());
  return lines.join('\n');
}

/** `start <template> --input JSON --user ID [--model SPEC] [--wait]`: required flags first, then the optional ones. */
export function synopsis(path: string, spec: CommandSpec): string {
  const required = new Set<string>(spec.required ?? []);
  const flags = Object.entries(spec.flags ?? {}) as [string, FlagSpec][];
  return [
    path,
    ...Object.keys(spec.args ?? {}).map((name) => `<${name}>`),
    ...flags.filter(([name]) => required.has(name)).map(([name, f]) => flagText(name, f)),
    ...flags.filter(([name]) => !required.has(name)).map(([name, f]) => `[${flagText(name, f)}]`),
  ].join(' ');
}

function commonSection(): string {
  const rows = (Object.entries(commonFlags) as [string, FlagSpec][]).map(([name, f]): [string, string] => [
    flagText(name, f),
    f.help,
  ]);
  return ['Options for every command (anywhere on the line):', ...rows.flatMap(listRow)].join('\n');
}

function flagText(name: string, f: FlagSpec): string {
  // A no-break space keeps a flag and its value on one line when wrapped.
  const long = f.type === 'string' ? `--${name}\u00a0${f.value ?? 'VALUE'}` : `--${name}`;
  return f.short ? `-${f.short}, ${long}` : long;
}

/** `  left      summary`, or the summary on the next line when `left` is long; long lines wrapped. */
function listRow([left, summary]: [string, string]): string[] {
  const indent = ' '.repeat(summaryColumn);
  const head = wrap(`  ${left}`, '    ');
  const last = head[head.length - 1];
  if (last.length <= summaryColumn - 2) {
    head[head.length - 1] = last.padEnd(summaryColumn) + summary;
    return head;
  }
  return [...head, `${indent}${summary}`];
}

/** Breaks `text` at spaces (not no-break spaces) before {@link wrapAt}, continuing lines with `indent`. */
function wrap(text: string, indent: string): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/(?<=\S) (?=\S)/)) {
    if (line && line.length + 1 + word.length > wrapAt) {
      lines.push(line);
      line = indent + word;
    } else line = line ? `${line} ${word}` : word;
  }
  lines.push(line);
  return lines.map((l) => l.replace(/\u00a0/g, ' '));
}
