/** `agentctl session ...` end to end: in-process `runCli` (and once the real binary) against a dev server and worker. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { SessionCheckpoint, SessionInfo, SessionState, SessionStats, TurnReply } from '../client';
import { runCli } from '../client/cli';
import { eventually } from '../testing/environment';
import { projectRoot } from '../testing/paths';
import { agentTestbed } from './helpers/testbed';

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

const testbed = agentTestbed({ name: 'session-cli' });
let env: TestWorkflowEnvironment;
let taskQueue: string;
before(async () => {
  ({ env, taskQueue } = await testbed.start());
});
after(() => testbed.stop());

/** The environment agentctl reads: the test server, its task queue, and the scripted stand-in as default model. */
function cliEnv(): NodeJS.ProcessEnv {
  return { TEMPORAL_ADDRESS: env.address, AGENT_TASK_QUEUE: taskQueue, AGENT_DEFAULT_MODEL: 'scripted:auto' };
}

async function agentctl(...args: string[]): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const io = {
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t) },
    env: cliEnv(),
  };
  const code = await runCli(['session', ...args], io);
  return { code, stdout, stderr };
}

async function json<T>(...args: string[]): Promise<T> {
  const run = await agentctl(...args, '--json');
  assert.equal(run.code, 0, run.stderr);
  return JSON.parse(run.stdout) as T;
}

test('create, send, state, checkpoint, fork, ls and stats', async () => {
  const created = await agentctl('create', '--user', 'hal', '--id', 'hal-chat', '--ttl', '3600', '--keep-turns', '10');
  assert.deepEqual([created.code, created.stdout], [0, 'hal-chat\n']);
  const first = await agentctl('send', 'hal-chat', 'my name is Hal');
  assert.equal(first.code, 0, first.stderr);
  assert.match(
    first.stdout,
    /^hal-chat turn 1 completed; 1 model call, 0 tool calls, \d+ in \/ \d+ out tokens.*\nNice to meet you, Hal\.\n$/,
  );
  const reply = await json<TurnReply>('send', 'hal-chat', 'what is my name?');
  assert.deepEqual([reply.turn, reply.answer], [2, 'Your name is Hal.']);

  const state = await json<SessionState>('state', 'hal-chat');
  assert.deepEqual([state.turns, state.ttlSeconds, state.memory.keepTurns], [2, 3600, 10]);
  assert.match((await agentctl('state', 'hal-chat')).stdout, /^session +hal-chat\n.*status +idle/s);

  const checkpoint = await agentctl('checkpoint', 'hal-chat', '1');
  assert.match(
    checkpoint.stdout,
    /^hal-chat turn 1 completed at .*\nsystem: You are a helpful assistant.*\nuser: my name is Hal\nassistant: Nice to meet you, Hal\.\n$/,
  );
  assert.equal((await json<SessionCheckpoint>('checkpoint', 'hal-chat', '2')).messages.length, 5);

  const fork = await json<{ sessionId: string }>('fork', 'hal-chat', '0', '--id', 'hal-fresh');
  assert.equal(fork.sessionId, 'hal-fresh');
  assert.equal(
    (await json<TurnReply>('send', 'hal-fresh', 'what is my name?')).answer,
    "You haven't told me your name.",
  );

  const listed = await eventually(async () => {
    const rows = await json<SessionInfo[]>('ls', '--user', 'hal');
    return rows.length === 2 && rows.every((r) => r.turns > 0) && rows;
  }, 'both sessions listed');
  assert.deepEqual(listed.map((r) => r.sessionId).sort(), ['hal-chat', 'hal-fresh']);
  assert.match((await agentctl('ls', '--user', 'hal')).stdout, /^SESSION ID +USER +TEMPLATE +STATUS +TURNS/);
  // Common flags anywhere: before the group and between its words.
  for (const argv of [
    ['--json', 'session', 'ls', '--user', 'hal'],
    ['session', '--json', 'ls', '--user', 'hal'],
  ]) {
    let out = '';
    assert.equal(
      await runCli(argv, {
        stdout: { write: (t: string) => (out += t) },
        stderr: { write: () => undefined },
        env: cliEnv(),
      }),
      0,
    );
    assert.deepEqual(
      JSON.parse(out)
        .map((r: SessionInfo) => r.sessionId)
        .sort(),
      ['hal-chat', 'hal-fresh'],
      argv.join(' '),
    );
  }
  const stats = await json<SessionStats>('stats', '--user', 'hal');
  assert.deepEqual([stats.overall.sessions, stats.overall.open, stats.overall.turns], [2, 2, 3]);
  assert.match((await agentctl('stats')).stdout, /\n\(all\) +\d+/);
});

test('close, pause/resume, close-all and delete-all; errors are typed lines', async () => {
  await json('create', '--user', 'ida', '--id', 'ida-1');
  await json(
    'create',
    '--user',
    'ida',
    '--id',
    'ida-2',
    '--template',
    'react',
    '--tools',
    'calculator',
    '--strategy',
    'reject',
  );
  assert.equal((await json<TurnReply>('send', 'ida-2', 'What is 6 * 7?')).answer, 'The answer is 42.');
  assert.equal((await agentctl('pause', 'ida-1')).stdout, 'pause requested for ida-1\n');
  await eventually(async () => (await json<SessionState>('state', 'ida-1')).status === 'paused', 'paused');
  await agentctl('resume', 'ida-1');
  // The run commands use the same signal and query names, so they work on sessions too.
  let out = '';
  const io = { stdout: { write: (t: string) => (out += t) }, stderr: { write: () => undefined }, env: cliEnv() };
  assert.equal(await runCli(['pause', 'ida-1'], io), 0);
  await eventually(
    async () => (await json<SessionState>('state', 'ida-1')).status === 'paused',
    'paused by the run command',
  );
  assert.equal(await runCli(['resume', 'ida-1'], io), 0);
  assert.equal(await runCli(['events', 'ida-2', '--json'], io), 0);
  assert.ok(
    out.split('\n').some((line) => line.includes('"type":"model.call"')),
    out,
  );

  const closed = await agentctl('close', 'ida-1', '--wait');
  assert.equal(closed.stdout, 'ida-1 closed after 0 turn(s)\n');
  const refused = await agentctl('send', 'ida-1', 'hello?');
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /^error: SessionClosed: Session ida-1 /);

  assert.deepEqual(await json('close-all', '--user', 'ida', '--wait'), { user: 'ida', closed: ['ida-2'] });
  assert.deepEqual(await json('delete-all', '--user', 'ida'), { user: 'ida', deleted: ['ida-1', 'ida-2'] });

  const usage = await agentctl('create', '--user', 'ida', '--ttl', 'soon');
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /^error: Usage: --ttl must be a whole number/);
  let noModel = '';
  const unconfigured = {
    stdout: { write: () => undefined },
    stderr: { write: (t: string) => (noModel += t) },
    env: { ...cliEnv(), AGENT_DEFAULT_MODEL: '' },
  };
  assert.equal(await runCli(['session', 'create', '--user', 'ida'], unconfigured), 1);
  assert.match(noModel, /^error: InvalidInput: No model given .*AGENT_DEFAULT_MODEL/);
  const badStrategy = await agentctl('create', '--user', 'ida', '--strategy', 'drop', '--json');
  assert.equal(badStrategy.code, 1);
  assert.equal(JSON.parse(badStrategy.stderr).error.type, 'InvalidInput');
  assert.equal((await agentctl('frobnicate')).code, 2);
  assert.equal((await agentctl('send', 'ida-1')).code, 2);
  const missing = await agentctl('state', 'nobody-here');
  assert.match(missing.stderr, /^error: NotFound: No session nobody-here\n$/);
});

test('the agentctl binary runs session commands and shows them in help', async () => {
  const run = await new Promise<CliRun>((resolve, reject) => {
    const child = spawn(process.execPath, [join(projectRoot, 'bin', 'agentctl.js'), 'session', 'help'], {
      cwd: projectRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /^Usage: agentctl session <command>/);
  let help = '';
  await runCli(['help'], {
    stdout: { write: (t: string) => (help += t) },
    stderr: { write: () => undefined },
    env: {},
  });
  assert.match(help, /session <command> +multi-turn sessions/);
});
