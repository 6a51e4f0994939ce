/** `agentctl` command lines parsed against the real command table: no server needed. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { commandTable, runCli } from '../client/cli';
import { parseCommandLine } from '../client/cli-parse';
import { defineCommand, UsageError, values, type CommandTable } from '../client/cli-table';

function parse(...argv: string[]) {
  return parseCommandLine(commandTable, argv);
}

function command(...argv: string[]) {
  const parsed = parse(...argv);
  assert.equal(parsed.kind, 'command', argv.join(' '));
  return parsed as Extract<typeof parsed, { kind: 'command' }>;
}

function usageError(argv: string[], message: RegExp): void {
  assert.throws(
    () => parse(...argv),
    (err: unknown) => err instanceof UsageError && err.type === 'Usage' && message.test(err.message),
    argv.join(' '),
  );
}

async function inProcess(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, {
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t) },
    env: {},
  });
  return { code, stdout, stderr };
}

describe('common flags anywhere on the line', () => {
  test('before the command, between its words, after its arguments', () => {
    for (const argv of [
      ['--json', 'session', 'ls', '--user', 'u'],
      ['session', '--json', 'ls', '--user', 'u'],
      ['session', 'ls', '--user', 'u', '--json'],
      ['--task-queue', 'q', '--json', 'session', 'ls', '--user', 'u'],
    ]) {
      const parsed = command(...argv);
      assert.equal(parsed.path, 'session ls', argv.join(' '));
      assert.equal(parsed.common.json, true, argv.join(' '));
      assert.equal(parsed.flags.user, 'u', argv.join(' '));
    }
    const start = command(
      '--address',
      'h:1',
      '--namespace',
      'ns',
      'start',
      'chat',
      '--input',
      '{}',
      '--user',
      'u',
      '--task-queue',
      'q',
    );
    assert.deepEqual(
      [start.path, start.args.template, start.common.address, start.common.namespace, start.common['task-queue']],
      ['start', 'chat', 'h:1', 'ns', 'q'],
    );
  });

  test('a flag value is not taken for the command', () => {
    const parsed = command('--task-queue', 'session', 'state', 'run-1');
    assert.deepEqual([parsed.path, parsed.args.id, parsed.common['task-queue']], ['state', 'run-1', 'session']);
  });
});

describe('values are checked by their schemas', () => {
  test('integers become numbers', () => {
    assert.equal(command('ls', '--limit', '5').flags.limit, 5);
    assert.equal(command('events', 'r', '--after', '0', '-f').flags.after, 0);
    assert.equal(command('events', 'r', '-f').flags.follow, true);
    assert.equal(command('session', 'checkpoint', 's', '0').args.turn, 0);
    assert.equal(command('session', 'create', '--user', 'u', '--ttl', '60').flags.ttl, 60);
  });

  test('bad integers are usage errors naming the flag or argument', () => {
    usageError(['ls', '--limit', '0'], /^--limit must be a positive integer, got "0"$/);
    usageError(['ls', '--limit', 'ten'], /^--limit must be a whole number, got "ten"$/);
    usageError(['ls', '--limit', '99999999999999999999'], /^--limit is too large/);
    usageError(['events', 'r', '--after', '-1'], /--after/);
    usageError(['session', 'create', '--user', 'u', '--ttl', 'soon'], /^--ttl must be a whole number, got "soon"$/);
    usageError(['session', 'checkpoint', 's', 'x'], /^<turn> must be a whole number, got "x"$/);
    usageError(['state', 'r', '--task-queue', ' '], /^--task-queue must not be empty$/);
  });
});

describe('unknown commands and flags', () => {
  test('name what is wrong and what exists', () => {
    usageError([], /^no command given/);
    usageError(['frobnicate'], /^unknown command "frobnicate"; use one of start, .*session.*help$/);
    usageError(['session'], /^no session command given; run "agentctl session help"/);
    usageError(
      ['session', 'frobnicate'],
      /^unknown session command "frobnicate"; use one of create, send, .*stats, help$/,
    );
    usageError(['ls', '--frobnicate'], /^Unknown option '--frobnicate'/);
    usageError(['ls', '--wait'], /^--wait is not an option of "ls"$/);
    usageError(['session', 'ls', '--template', 't'], /^--template is not an option of "session ls"$/);
    usageError(['start', 'chat', '--user', 'u'], /^"start" needs --input$/);
    usageError(['session', 'send', 's'], /^"session send" needs <message>$/);
    usageError(['pause', 'a', 'b'], /^unexpected argument "b" for "pause"$/);
  });

  test('exit 2 with one JSON error line', async () => {
    const run = await inProcess(['--json', 'session', 'frobnicate']);
    assert.equal(run.code, 2);
    assert.equal(run.stdout, '');
    assert.deepEqual(Object.keys(JSON.parse(run.stderr).error), ['type', 'message']);
    assert.equal(JSON.parse(run.stderr).error.type, 'Usage');
  });
});

describe('help', () => {
  test('every command has its own, with its flags and the common ones', async () => {
    for (const path of Object.keys(commandTable.commands)) {
      const run = await inProcess([...path.split(' '), '--help']);
      assert.equal(run.code, 0, `${path}: ${run.stderr}`);
      assert.ok(run.stdout.startsWith(`Usage: agentctl ${path}`), `${path}: ${run.stdout}`);
      for (const name of Object.keys(commandTable.commands[path].flags ?? {}))
        assert.match(run.stdout, new RegExp(`--${name}\\b`), `${path} --${name}`);
      assert.match(run.stdout, /--json .*\n.*--task-queue Q/, path);
      assert.deepEqual(await inProcess(['help', ...path.split(' ')]), run, `help ${path}`);
    }
  });

  test('the command list and the group list', async () => {
    const top = await inProcess(['--help']);
    assert.match(top.stdout, /^Usage: agentctl <command>/);
    assert.match(top.stdout, /\n {2}session <command> +multi-turn sessions/);
    assert.match(top.stdout, /\n {2}start <template> --input JSON --user ID \[--model SPEC\]/);
    assert.deepEqual(await inProcess(['help']), top);
    const group = await inProcess(['session', 'help']);
    assert.match(group.stdout, /^Usage: agentctl session <command>/);
    assert.match(group.stdout, /\n {2}create --user ID \[--id SESSION_ID\]/);
    assert.deepEqual(await inProcess(['session', '--help']), group);
    assert.deepEqual(JSON.parse((await inProcess(['session', 'help', '--json'])).stdout), {
      usage: group.stdout.trimEnd(),
    });
  });
});

describe('the table', () => {
  test('a new command is one entry: parsed, validated, listed and run', async () => {
    const seen: unknown[] = [];
    const table: CommandTable = {
      commands: {
        ...commandTable.commands,
        'schedule add': defineCommand({
          summary: 'add a schedule',
          args: { name: { help: 'schedule name' } },
          flags: { every: { type: 'string', value: 'SECONDS', help: 'interval', schema: values.positiveInteger } },
          required: ['every'],
          run(ctx) {
            seen.push([ctx.args.name, ctx.flags.every, ctx.json]);
            ctx.print('added', { added: ctx.args.name });
          },
        }),
      },
      groups: { ...commandTable.groups, schedule: 'recurring runs' },
    };
    let stdout = '';
    const io = { stdout: { write: (t: string) => (stdout += t) }, stderr: { write: () => undefined }, env: {} };
    assert.equal(await runCli(['--json', 'schedule', 'add', 'nightly', '--every', '60'], io, table), 0);
    assert.deepEqual(seen, [['nightly', 60, true]]);
    assert.equal(stdout, '{"added":"nightly"}\n');
    assert.equal(await runCli(['schedule', 'add', 'nightly', '--every', 'x'], io, table), 2);
    assert.equal(await runCli(['help'], io, table), 0);
    assert.match(stdout, /schedule <command>\s+recurring runs/);
  });

  test('one flag name means one kind of flag across commands; a two-word command needs its group', () => {
    const table: CommandTable = {
      commands: {
        a: defineCommand({ summary: 'a', flags: { wait: { type: 'boolean', help: 'w' } }, run: () => undefined }),
        b: defineCommand({ summary: 'b', flags: { wait: { type: 'string', help: 'w' } }, run: () => undefined }),
      },
      groups: {},
    };
    assert.throws(() => parseCommandLine(table, ['a']), /--wait of "b" differs/);
    const ungrouped: CommandTable = {
      commands: { 'x y': defineCommand({ summary: 'x', run: () => undefined }) },
      groups: {},
    };
    assert.throws(() => parseCommandLine(ungrouped, ['x', 'y']), /"x y" must be one word, or a group/);
  });
});
