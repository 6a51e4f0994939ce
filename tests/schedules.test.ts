/** Runs on Temporal Schedules through `agentctl schedule` and `agents.schedules`, on a dev server with a worker. */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { AgentError, type AgentClient, type AgentScheduleSummary, type RunSummary } from '../client';
import { runCli } from '../client/cli';
import { agentClient, eventually, inProcessWorker, startDevEnvironment, uniqueTaskQueue } from '../testing/environment';

let env: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;
let agents: AgentClient;
let taskQueue: string;

before(async () => {
  env = await startDevEnvironment();
  taskQueue = uniqueTaskQueue('sched');
  worker = await inProcessWorker(env, taskQueue);
  running = worker.run();
  agents = agentClient(env, taskQueue);
});

after(async () => {
  worker.shutdown();
  await running;
  await env.teardown();
});

interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

async function agentctl(...args: string[]): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const cliEnv = {
    ...process.env,
    TEMPORAL_ADDRESS: env.address,
    AGENT_TASK_QUEUE: taskQueue,
    AGENT_DEFAULT_MODEL: 'scripted:auto',
  };
  const code = await runCli(args, {
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t) },
    env: cliEnv,
  });
  return { code, stdout, stderr };
}

/** Runs a `--json` command that must succeed and returns its parsed output. */
async function json<T>(...args: string[]): Promise<T> {
  const run = await agentctl(...args, '--json');
  assert.equal(run.code, 0, `agentctl ${args.join(' ')}: ${run.stderr}`);
  return JSON.parse(run.stdout) as T;
}

/** Runs a `--json` command that must fail and returns its error type. */
async function errorType(...args: string[]): Promise<string> {
  const run = await agentctl(...args, '--json');
  assert.equal(run.code, 1, `agentctl ${args.join(' ')} should fail: ${run.stdout}`);
  return JSON.parse(run.stderr).error.type;
}

async function scheduleExists(scheduleId: string): Promise<boolean> {
  try {
    await env.client.schedule.getHandle(scheduleId).describe();
    return true;
  } catch (err) {
    if ((err as Error).name === 'ScheduleNotFoundError') return false;
    throw err;
  }
}

async function completedRunsOf(user: string, scheduleId: string): Promise<RunSummary[]> {
  const runs = await json<RunSummary[]>('ls', '--user', user);
  return runs.filter((r) => r.runId.startsWith(`${scheduleId}-`) && r.status === 'completed');
}

test('a schedule fires on its cron; each run is an ordinary run, found by agentctl ls', async () => {
  const user = `u-${randomUUID().slice(0, 8)}`;
  const { scheduleId } = await json<{ scheduleId: string }>(
    'schedule',
    'create',
    'react',
    '--cron',
    '@every 2s',
    '--input',
    '{"task":"What is 6 * 7?"}',
    '--user',
    user,
    '--model',
    'scripted:auto',
  );
  assert.match(scheduleId, /^schedule-/);
  const [run] = await eventually(
    async () => (await completedRunsOf(user, scheduleId)).length > 0 && completedRunsOf(user, scheduleId),
    'a scheduled run to complete',
    60_000,
  );
  // Stop it firing before looking closer; runs already started are not affected.
  await json('schedule', 'delete', scheduleId);

  // Searchable like a direct run: template, user, model come from the search attributes set by the schedule's action.
  assert.equal(run.template, 'react');
  assert.equal(run.model, 'scripted:auto');
  const result = await agents.getHandle(run.runId).result();
  assert.equal(result.status, 'completed');
  assert.match(result.answer, /42/);
  assert.ok(result.usage.inputTokens + result.usage.outputTokens > 0, 'metered');
  const state = await agents.getHandle(run.runId).state();
  assert.equal(state.user, user);
  assert.equal(state.status, 'completed');
  const byTemplate = await agents.list({ user, template: 'react' });
  assert.ok(byTemplate.some((r) => r.runId === run.runId));
  assert.equal(await scheduleExists(scheduleId), false);
});

test('create paused, trigger, pause, unpause, ls and delete through agentctl', async () => {
  const user = `u-${randomUUID().slice(0, 8)}`;
  const scheduleId = `nightly-${randomUUID().slice(0, 8)}`;
  const created = await json<{ scheduleId: string }>(
    'schedule',
    'create',
    'chat',
    '--cron',
    '0 3 * * *; 30 15 * * 1-5',
    '--input',
    '{"message":"report"}',
    '--user',
    user,
    '--id',
    scheduleId,
    '--paused',
    '--note',
    'made by the test',
  );
  assert.equal(created.scheduleId, scheduleId);

  const listed = await eventually(
    async () =>
      (await json<AgentScheduleSummary[]>('schedule', 'ls', '--user', user)).find((s) => s.scheduleId === scheduleId),
    'the schedule in ls',
  );
  assert.deepEqual(
    {
      template: listed.template,
      user: listed.user,
      model: listed.model,
      cron: listed.cron,
      paused: listed.paused,
      note: listed.note,
    },
    {
      template: 'chat',
      user,
      model: 'scripted:auto',
      cron: ['0 3 * * *', '30 15 * * 1-5'],
      paused: true,
      note: 'made by the test',
    },
  );
  const human = await agentctl('schedule', 'ls', '--user', user);
  assert.match(
    human.stdout,
    new RegExp(`${scheduleId}\\s+chat\\s+${user}\\s+0 3 \\* \\* \\*; 30 15 \\* \\* 1-5\\s+paused`),
  );

  // Trigger starts a run now, even while paused.
  await json('schedule', 'trigger', scheduleId);
  const [run] = await eventually(
    async () => (await completedRunsOf(user, scheduleId)).length > 0 && completedRunsOf(user, scheduleId),
    'the triggered run to complete',
  );
  assert.equal((await agents.getHandle(run.runId).result()).status, 'completed');

  await json('schedule', 'unpause', scheduleId);
  let described = await env.client.schedule.getHandle(scheduleId).describe();
  assert.equal(described.state.paused, false);
  assert.ok(described.info.nextActionTimes.length > 0, 'an active schedule has next fire times');
  await json('schedule', 'pause', scheduleId, '--note', 'holiday');
  described = await env.client.schedule.getHandle(scheduleId).describe();
  assert.deepEqual([described.state.paused, described.state.note], [true, 'holiday']);

  await json('schedule', 'delete', scheduleId);
  assert.equal(await scheduleExists(scheduleId), false);
  for (const sub of ['pause', 'unpause', 'trigger', 'delete'])
    assert.equal(await errorType('schedule', sub, scheduleId), 'NotFound', sub);
});

test('a scheduled run is controlled like any run: agentctl pause, state, stop', async () => {
  const user = `u-${randomUUID().slice(0, 8)}`;
  const { scheduleId } = await json<{ scheduleId: string }>(
    'schedule',
    'create',
    'react',
    '--cron',
    '0 0 1 1 *',
    '--input',
    '{"task":"count","maxSteps":30}',
    '--user',
    user,
    '--model',
    'scripted:auto?rounds=25&delayMs=300',
    '--paused',
  );
  await json('schedule', 'trigger', scheduleId);
  const run = await eventually(
    async () =>
      (await json<RunSummary[]>('ls', '--user', user, '--status', 'running')).find((r) =>
        r.runId.startsWith(`${scheduleId}-`),
      ),
    'the triggered run running',
  );
  await eventually(async () => (await agents.getHandle(run.runId).state()).step >= 1, 'a step done');
  await json('pause', run.runId);
  const paused = await eventually(async () => {
    const state = await json<{ status: string; step: number }>('state', run.runId);
    return state.status === 'paused' && state;
  }, 'the scheduled run paused');
  await json('stop', run.runId);
  const result = await agents.getHandle(run.runId).result();
  assert.equal(result.status, 'stopped');
  assert.ok(result.steps >= paused.step && result.steps < 25, `stopped early (${result.steps} steps)`);
  await json('schedule', 'delete', scheduleId);
});

test('bad input gets a typed error and creates nothing', async () => {
  const user = `u-${randomUUID().slice(0, 8)}`;
  const base = ['--input', '{"message":"hi"}', '--user', user];
  const cases: [string, string[]][] = [
    ['InvalidInput', ['chat', '--cron', 'every day', ...base]],
    ['InvalidInput', ['chat', '--cron', '61 * * * *', ...base]],
    ['InvalidInput', ['chat', '--cron', '@every 0s', ...base]],
    ['UnknownTemplate', ['nope', '--cron', '@hourly', ...base]],
    ['InvalidInput', ['chat', '--cron', '@hourly', '--input', '{"msg":"hi"}', '--user', user]],
    ['InvalidInput', ['chat', '--cron', '@hourly', '--input', '{not json', '--user', user]],
    ['UnknownModel', ['chat', '--cron', '@hourly', ...base, '--model', 'nope:x']],
    ['UnknownTool', ['react', '--cron', '@hourly', '--input', '{"task":"t","tools":["rm_rf"]}', '--user', user]],
    ['InvalidInput', ['chat', '--cron', '@hourly', ...base, '--options', '{"modelTimeoutSeconds":0}']],
    ['InvalidInput', ['chat', '--cron', '@hourly', '--input', '{"message":"hi"}', '--user', 'bad user']],
  ];
  for (const [type, args] of cases) {
    const scheduleId = `bad-${randomUUID().slice(0, 8)}`;
    assert.equal(await errorType('schedule', 'create', ...args, '--id', scheduleId), type, args.join(' '));
    assert.equal(await scheduleExists(scheduleId), false, `nothing created for ${args.join(' ')}`);
  }
  assert.equal(
    await errorType('schedule', 'create', 'chat', '--cron', '@hourly', ...base, '--id', 'has space'),
    'InvalidInput',
  );
  assert.equal(await errorType('schedule', 'pause', 'no/such'), 'InvalidInput');
  assert.equal(await errorType('schedule', 'trigger', `missing-${randomUUID().slice(0, 8)}`), 'NotFound');
  // A usage error (missing --cron) exits 2 and names the flag.
  const usage = await agentctl('schedule', 'create', 'chat', ...base);
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /needs --cron/);

  // The same id twice: the second is refused and the first is untouched.
  const scheduleId = `dup-${randomUUID().slice(0, 8)}`;
  await agents.schedules.create({
    template: 'chat',
    input: { message: 'hi' },
    user,
    model: 'scripted:auto',
    cron: '@hourly',
    scheduleId,
    paused: true,
  });
  await assert.rejects(
    agents.schedules.create({
      template: 'react',
      input: { task: 't' },
      user,
      model: 'scripted:auto',
      cron: '@daily',
      scheduleId,
    }),
    (err: AgentError) => err.type === 'AlreadyExists',
  );
  const described = await env.client.schedule.getHandle(scheduleId).describe();
  assert.equal(described.state.paused, true);
  assert.equal(described.memo?.template, 'chat');
  // The client refuses unknown fields too.
  await assert.rejects(
    agents.schedules.create({
      template: 'chat',
      input: { message: 'hi' },
      user,
      cron: '@hourly',
      every: '5s',
    } as never),
    (err: AgentError) => err.type === 'InvalidInput' && /every/.test(err.message),
  );
  await agents.schedules.delete(scheduleId);
});
