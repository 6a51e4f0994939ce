/** Bad input gets a typed error before anything starts; bad signals and raw inputs never wedge a run. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { AgentClient, AgentError, SessionManager } from '../client';
import { projectRoot } from '../testing/paths';
import { agentTestbed } from './helpers/testbed';
import { legacyRunWorkflowType, runWorkflowType } from '../agents/run-workflow-type';

const testbed = agentTestbed({ name: 'bad-input' });
let env: TestWorkflowEnvironment;
let client: AgentClient;
let taskQueue: string;
before(async () => {
  ({ env, client, taskQueue } = await testbed.start());
});
after(() => testbed.stop());

const cases: [string, Record<string, unknown>, string][] = [
  ['unknown template', { template: 'poetry', input: { message: 'x' } }, 'UnknownTemplate'],
  ['missing template field', { template: 'chat', input: {} }, 'InvalidInput'],
  ['wrong-typed field', { template: 'react', input: { task: 42 } }, 'InvalidInput'],
  ['extra field', { template: 'chat', input: { message: 'x', evil: true } }, 'InvalidInput'],
  ['maxSteps out of range', { template: 'react', input: { task: 'x', maxSteps: 0 } }, 'InvalidInput'],
  ['unknown tool', { template: 'react', input: { task: 'x', tools: ['calculator', 'shell'] } }, 'UnknownTool'],
  [
    'schema that is not JSON Schema',
    { template: 'structured', input: { prompt: 'x', schema: { type: 'no-such-type' } } },
    'InvalidInput',
  ],
  ['model spec without provider', { template: 'chat', input: { message: 'x' }, model: 'gpt-4o' }, 'UnknownModel'],
  ['unknown provider', { template: 'chat', input: { message: 'x' }, model: 'acme:big' }, 'UnknownModel'],
  ['oversized message', { template: 'chat', input: { message: 'x'.repeat(100_001) } }, 'InvalidInput'],
  ['bad user id', { template: 'chat', input: { message: 'x' }, user: "alice' OR '1'='1" }, 'InvalidInput'],
];

for (const [name, options, type] of cases) {
  test(`${name} → ${type}, nothing started`, async () => {
    const runId = `bad-${name.replace(/\W+/g, '-')}`;
    await assert.rejects(
      client.start({ user: 'mallory', model: 'scripted:auto', ...options, runId } as Parameters<
        AgentClient['start']
      >[0]),
      (err: unknown) => err instanceof AgentError && err.type === type && err.message.length > 10,
    );
    await assert.rejects(client.getHandle(runId).workflow.describe(), /not found/i);
  });
}

test('bad run id → InvalidInput', async () => {
  await assert.rejects(
    client.start({
      template: 'chat',
      input: { message: 'x' },
      user: 'u',
      runId: 'has spaces/and slashes',
      model: 'scripted:auto',
    }),
    (err: AgentError) => err.type === 'InvalidInput',
  );
});

test('no model and no default: InvalidInput saying what to set, nothing started; a configured default is used', async () => {
  const chat = { template: 'chat', input: { message: 'x' }, user: 'u' };
  const unconfigured = new AgentClient(env.client, { taskQueue, env: {} });
  await assert.rejects(
    unconfigured.start({ ...chat, runId: 'no-model' }),
    (err: AgentError) => err.type === 'InvalidInput' && /AGENT_DEFAULT_MODEL/.test(err.message),
  );
  await assert.rejects(client.getHandle('no-model').workflow.describe(), /not found/i);
  const sessions = new SessionManager(env.client, { taskQueue, env: {} });
  await assert.rejects(
    sessions.create({ user: 'u', sessionId: 'no-model-session' }),
    (err: AgentError) => err.type === 'InvalidInput' && /defaultModel/.test(err.message),
  );
  await assert.rejects(client.getHandle('no-model-session').workflow.describe(), /not found/i);
  const malformed = new AgentClient(env.client, { taskQueue, defaultModel: 'gpt-4o' });
  await assert.rejects(
    malformed.start(chat),
    (err: AgentError) =>
      err.type === 'InvalidInput' && /defaultModel option "gpt-4o" is not a model spec/.test(err.message),
  );

  const fromOption = await new AgentClient(env.client, {
    taskQueue,
    defaultModel: 'scripted:auto?delayMs=1',
    env: {},
  }).start(chat);
  const fromEnv = await new AgentClient(env.client, {
    taskQueue,
    env: { AGENT_DEFAULT_MODEL: 'scripted:auto?delayMs=2' },
  }).start(chat);
  const given = await new AgentClient(env.client, { taskQueue, defaultModel: 'scripted:auto?delayMs=1' }).start({
    ...chat,
    model: 'scripted:auto?delayMs=3',
  });
  assert.deepEqual(await Promise.all([fromOption, fromEnv, given].map(async (h) => (await h.state()).model)), [
    'scripted:auto?delayMs=1',
    'scripted:auto?delayMs=2',
    'scripted:auto?delayMs=3',
  ]);
});

test('a workflow started around our client with bad input fails at once with InvalidInput (either run type)', async () => {
  for (const workflowType of [runWorkflowType, legacyRunWorkflowType]) {
    const handle = await env.client.workflow.start(workflowType, {
      taskQueue,
      workflowId: `raw-bad-input-${workflowType}`,
      args: [{ template: 'chat', input: { message: 7 }, model: 'scripted:auto', user: 'u' }],
    });
    await assert.rejects(
      client.getHandle(handle.workflowId).result(),
      (err: AgentError) => err.type === 'InvalidInput',
    );
  }
});

test('signals with unexpected input are ignored, never fail the run', async () => {
  const handle = await client.start({
    template: 'react',
    input: { task: 'count', maxSteps: 5 },
    model: 'scripted:auto?rounds=3&delayMs=100',
    user: 'u',
  });
  await handle.workflow.signal('pause', { surprise: 'x'.repeat(10_000) }, 42);
  await handle.workflow.signal('resume', ['nonsense']);
  await handle.workflow.signal('no-such-signal', 1);
  const result = await handle.result();
  assert.equal(result.status, 'completed');
  assert.equal(result.steps, 4);
});

test('openai model without key or base URL on the worker fails once with UnknownModel', async () => {
  const handle = await client.start({
    template: 'chat',
    input: { message: 'x' },
    model: 'openai:gpt-4o-mini',
    user: 'u',
  });
  await assert.rejects(
    handle.result(),
    (err: AgentError) => err.type === 'UnknownModel' && /OPENAI_API_KEY/.test(err.message),
  );
  const history = await handle.workflow.fetchHistory();
  const attempts = history.events
    ?.filter((e) => e.activityTaskStartedEventAttributes)
    .map((e) => e.activityTaskStartedEventAttributes!.attempt);
  assert.deepEqual(attempts, [1], 'a configuration error must not be retried');
});

test('a worker with bad settings exits with one clear line', async () => {
  const run = promisify(execFile)(process.execPath, ['--import', 'tsx', 'worker/main.ts'], {
    cwd: projectRoot,
    env: { ...process.env, TEMPORAL_ADDRESS: env.address, METRICS_PORT: 'lots' },
  });
  await assert.rejects(
    run,
    (err: { code?: number; stderr?: string }) =>
      err.code === 1 && /^worker failed: Invalid worker settings: METRICS_PORT: /m.test(err.stderr ?? ''),
  );
});
