/**
 * Bad input at the entry points tests/bad-input.test.ts and the feature tests leave out: payloads past
 * Temporal's limits, wrong-typed options, raw signals, updates and queries that bypass our client (sessions'
 * sendMessage, the ledger's commit), and the CLI. Each gets a typed error (or is ignored, for signals), nothing
 * is started by a refused start, and no workflow is failed or left stuck by a bad message.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { admitUpdate, commitSignal, ledgerWorkflowId } from '../agents/ledger';
import { eventsQuery, modelCallFailedSignal, tokenDeltasSignal } from '../agents/messages';
import { sendMessageUpdate } from '../agents/session';
import { AgentError, SessionManager, type AgentClient } from '../client';
import { runCli } from '../client/cli';
import { agentTestbed } from './helpers/testbed';
import { runWorkflowType } from '../agents/run-workflow-type';

const testbed = agentTestbed({ name: 'bad-input-matrix' });
let env: TestWorkflowEnvironment;
let client: AgentClient;
let sessions: SessionManager;
let taskQueue: string;
before(async () => {
  ({ env, client, sessions, taskQueue } = await testbed.start());
});
after(() => testbed.stop());

/** 3 MB: past Temporal's 2 MB payload limit (and gRPC's 4 MB message limit is not far off). */
const threeMb = 'x'.repeat(3 * 1024 * 1024);
const isAgentError = (type: string, pattern?: RegExp) => (err: unknown) =>
  err instanceof AgentError && err.type === type && (!pattern || pattern.test(err.message));
/** Temporal's own refusal: gRPC INVALID_ARGUMENT "Blob data size exceeds limit", before any workflow code runs. */
const overLimit = (err: unknown) =>
  /Blob data size exceeds limit/.test(String((err as { cause?: Error })?.cause?.message));
const notStarted = async (id: string) =>
  assert.rejects(env.client.workflow.getHandle(id).describe(), /not found/i, `${id} must not exist`);

test('client: a 3 MB prompt, wrong-typed options and oversized ids → InvalidInput, nothing started', async () => {
  const cases: [string, Parameters<AgentClient['start']>[0], RegExp][] = [
    ['bim-3mb-task', { template: 'react', input: { task: threeMb }, user: 'u' }, /task: Too big/],
    ['bim-3mb-message', { template: 'chat', input: { message: threeMb }, user: 'u' }, /message: Too big/],
    [
      'bim-timeout-type',
      { template: 'chat', input: { message: 'x' }, user: 'u', options: { modelTimeoutSeconds: 'soon' as never } },
      /modelTimeoutSeconds/,
    ],
    [
      'bim-unknown-option',
      { template: 'chat', input: { message: 'x' }, user: 'u', options: { retries: 99 } as never },
      /retries/,
    ],
    [
      'bim-history-limit',
      { template: 'chat', input: { message: 'x' }, user: 'u', options: { historyEventLimit: 1 } },
      /historyEventLimit/,
    ],
  ];
  for (const [runId, options, message] of cases) {
    await assert.rejects(
      client.start({ model: 'scripted:auto', ...options, runId }),
      isAgentError('InvalidInput', message),
      runId,
    );
    await notStarted(runId);
  }
  await assert.rejects(
    client.start({
      template: 'chat',
      input: { message: 'x' },
      user: 'u',
      runId: 'r'.repeat(201),
      model: 'scripted:auto',
    }),
    isAgentError('InvalidInput', /run id/),
  );
  await assert.rejects(client.usage("x' OR '1'='1"), isAgentError('InvalidInput', /user id/));
  assert.throws(() => client.getHandle('../../etc/passwd'), isAgentError('InvalidInput'));
});

test('raw start past the payload limit is refused by Temporal; nothing starts', async () => {
  const started = env.client.workflow.start(runWorkflowType, {
    taskQueue,
    workflowId: 'bim-raw-3mb',
    args: [{ template: 'chat', input: { message: threeMb }, model: 'scripted:auto', user: 'u' }],
  });
  await assert.rejects(started, overLimit);
  await notStarted('bim-raw-3mb');
});

test('signals with malformed or oversized payloads are ignored or refused; the run completes', async () => {
  const handle = await client.start({
    template: 'react',
    input: { task: 'count', maxSteps: 6 },
    model: 'scripted:auto?rounds=3&delayMs=200',
    user: 'u',
    options: { streamTokens: true },
  });
  await handle.workflow.signal(tokenDeltasSignal, { step: -1, attempt: 'x', offset: 0, text: 7 } as never);
  await handle.workflow.signal(modelCallFailedSignal, { step: 'one', errorType: '' } as never);
  await handle.workflow.signal(modelCallFailedSignal, null as never);
  // By wire name: `pause` takes no input, and Temporal refuses a 3 MB one before the run sees it.
  await assert.rejects(handle.workflow.signal('pause', threeMb), overLimit);
  // A query with junk arguments fails (or pages nothing); queries never touch the run.
  await assert.rejects(handle.workflow.query(eventsQuery, null as never));
  assert.deepEqual((await handle.workflow.query(eventsQuery, 'not an object' as never)).events, []);
  const result = await handle.result();
  assert.deepEqual([result.status, result.steps], ['completed', 4]);
  const state = await handle.state();
  assert.deepEqual([state.status, state.pauseRequested, state.error], ['completed', false, undefined]);
  await assert.rejects(handle.pause(), isAgentError('RunFinished'));
});

test('sessions: wrong-typed, extra-field and oversized sendMessage updates are refused; the session goes on', async () => {
  const session = await sessions.create({ user: 'u', model: 'scripted:auto' });
  const raw = (input: unknown) => session.workflow.executeUpdate(sendMessageUpdate, { args: [input as never] });
  for (const input of [
    { message: 42 },
    { message: 'hi', role: 'system' },
    {},
    'hi',
    { message: 'x'.repeat(100_001) },
  ]) {
    await assert.rejects(
      raw(input),
      (err: unknown) =>
        err instanceof WorkflowUpdateFailedError &&
        /InvalidInput|Invalid message/.test(
          `${(err.cause as { type?: string })?.type} ${(err.cause as Error)?.message}`,
        ),
      JSON.stringify(input).slice(0, 60),
    );
  }
  const state = await session.state();
  assert.deepEqual([state.status, state.turns, state.queued], ['idle', 0, 0], 'refused messages leave no turn behind');
  assert.equal((await session.send('my name is Ada')).answer, 'Nice to meet you, Ada.');
  assert.equal((await session.workflow.describe()).status.name, 'RUNNING');
});

test('ledger: bad commit signals are ignored, bad admit updates refused with InvalidInput; totals stay as they were', async () => {
  const user = 'bim-ledger';
  await (await client.start({ template: 'chat', input: { message: 'hi' }, user, model: 'scripted:auto' })).result();
  const before = await client.usage(user);
  assert.equal(before.day.calls, 1);
  const ledger = env.client.workflow.getHandle(ledgerWorkflowId(user));
  const commits = [
    { key: 'k1', kind: 'model', name: 'm', inputTokens: -5, outputTokens: 0, cachedTokens: 0, usd: 0 },
    { key: 'k2', kind: 'model', name: 'm', inputTokens: '1e9', outputTokens: 0, cachedTokens: 0, usd: 0 },
    { key: 'k3', kind: 'refund', name: 'm', inputTokens: 0, outputTokens: 0, cachedTokens: 0, usd: -100 },
    { key: 'k'.repeat(401), kind: 'model', name: 'm', inputTokens: 1, outputTokens: 1, cachedTokens: 0, usd: 0 },
    null,
  ];
  for (const input of commits) await ledger.signal(commitSignal, input as never);
  const admits = [{ acquire: { key: 'a', requests: -1, windowMs: 1000 } }, { reserve: { key: 'r' } }, { grant: 'all' }];
  for (const input of admits) {
    await assert.rejects(
      ledger.executeUpdate(admitUpdate, { args: [input as never] }),
      (err: unknown) =>
        err instanceof WorkflowUpdateFailedError && (err.cause as { type?: string })?.type === 'InvalidInput',
    );
  }
  const afterwards = await client.usage(user);
  assert.deepEqual(
    [afterwards.day.calls, afterwards.day.totalTokens, afterwards.day.usd],
    [before.day.calls, before.day.totalTokens, before.day.usd],
  );
  assert.equal((await ledger.describe()).status.name, 'RUNNING');
});

test('CLI: a 3 MB --input and hostile ids are one typed line each, exit 1, nothing started', async () => {
  const out: string[] = [];
  const io = {
    stdout: { write: (s: string) => out.push(s) },
    stderr: { write: (s: string) => out.push(s) },
    env: { TEMPORAL_ADDRESS: env.address, AGENT_TASK_QUEUE: taskQueue, AGENT_DEFAULT_MODEL: 'scripted:auto' },
  };
  const cases: [string[], RegExp][] = [
    [
      ['start', 'chat', '--input', JSON.stringify({ message: threeMb }), '--user', 'u', '--id', 'bim-cli-3mb'],
      /^error: InvalidInput: .*message: Too big/,
    ],
    [
      ['start', 'chat', '--input', '{"message":"x"}', '--user', "u'; DROP TABLE runs; --", '--id', 'bim-cli-user'],
      /^error: InvalidInput: .*user/i,
    ],
    [['state', 'a/../../b'], /^error: InvalidInput: .*run id/i],
  ];
  for (const [argv, pattern] of cases) {
    out.length = 0;
    assert.equal(await runCli(argv, io), 1, argv.join(' ').slice(0, 80));
    assert.match(out.join(''), pattern);
    assert.equal(out.join('').split('\n').filter(Boolean).length, 1, 'one line');
  }
  await notStarted('bim-cli-3mb');
  await notStarted('bim-cli-user');
});

/** An update over Temporal's 2 MB payload limit would wedge the session's workflow task: the client refuses it first. */
test('sessions: a 3 MB message is refused by the client with InvalidInput, and the session is not wedged', async () => {
  const session = await sessions.create({ user: 'u', model: 'scripted:auto' });
  const started = Date.now();
  await assert.rejects(session.send(threeMb), isAgentError('InvalidInput', /message: Too big/));
  assert.ok(Date.now() - started < 5000, 'refused at once');
  assert.equal((await session.state()).turns, 0);
});
