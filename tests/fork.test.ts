/**
 * Rewind and fork of runs, and their step history, on the real stack: `client.fork` / `agentctl fork` start a new
 * run from the state after step N of another (left untouched); `client.history` / `agentctl history` list a run's
 * finished steps. The scripted model calls the tools named on `call <tool> <JSON>` lines of the task, one a step.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client, WorkflowNotFoundError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { ChatMessage } from '../agents/conversation';
import type { RunEvent } from '../agents/events';
import { conversationQuery, eventsQuery } from '../agents/messages';
import { runCli } from '../client/cli';
import { AgentClient, AgentError, type AgentRunHandle, type RunOptions, type RunState } from '../client';
import { createDataConverter } from '../codec';
import { eventually, uniqueTaskQueue } from '../testing/environment';
import { createAgentWorker } from '../worker/create-worker';
import { agentTestbed } from './helpers/testbed';

const testbed = agentTestbed({ name: 'fork' });
let env: TestWorkflowEnvironment;
let client: AgentClient;
let taskQueue: string;
before(async () => {
  ({ env, client, taskQueue } = await testbed.start());
});
after(() => testbed.stop());

const model = 'scripted:auto';
/** Four steps: three tool calls, one a step, then the answer. */
const task = [
  'Use the tools.',
  'call calculator {"expression":"1+1"}',
  'call word_count {"text":"a b c"}',
  'call calculator {"expression":"6*7"}',
].join('\n');

function startRun(user: string, options?: RunOptions, runModel = model, input: unknown = { task }) {
  return client.start({ template: 'react', input, model: runModel, user, options });
}

async function conversation(handle: AgentRunHandle): Promise<ChatMessage[]> {
  return (await handle.workflow.query(conversationQuery, { from: 0, to: 10_000 })).messages;
}

async function events(handle: AgentRunHandle): Promise<RunEvent[]> {
  return (await handle.workflow.query(eventsQuery, { after: 0, limit: 200 })).events;
}

function untilState(handle: AgentRunHandle, what: string, ok: (s: RunState) => boolean): Promise<RunState> {
  return eventually(async () => {
    const state = await handle.state();
    return ok(state) && state;
  }, `${handle.runId}: ${what}`);
}

async function refused(promise: Promise<unknown>, type: string): Promise<AgentError> {
  const err = await promise.then(
    () => assert.fail(`expected ${type}`),
    (e: unknown) => e,
  );
  assert.ok(err instanceof AgentError, `expected an AgentError, got ${String(err)}`);
  assert.equal(err.type, type, err.message);
  return err;
}

async function assertNotStarted(runId: string): Promise<void> {
  await assert.rejects(env.client.workflow.getHandle(runId).describe(), WorkflowNotFoundError, `${runId} exists`);
}

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t) },
    env: { TEMPORAL_ADDRESS: env.address, AGENT_TASK_QUEUE: taskQueue, AGENT_DEFAULT_MODEL: model },
  });
  return { code, stdout, stderr };
}

function cliError(run: { code: number; stdout: string; stderr: string }, type: string, code = 1): string {
  assert.equal(run.code, code, run.stderr);
  assert.equal(run.stdout, '');
  const { error } = JSON.parse(run.stderr);
  assert.equal(error.type, type, error.message);
  return error.message;
}

/** A completed four-step run, shared by the tests that only read it. */
let completed: Promise<AgentRunHandle> | undefined;
function completedSource(): Promise<AgentRunHandle> {
  completed ??= startRun('fork-source').then(async (handle) => {
    await handle.result();
    return handle;
  });
  return completed;
}

describe('history', () => {
  test('lists every finished step: model, tokens, tool calls with their arguments, answered (client and agentctl)', async () => {
    const source = await completedSource();
    const result = await source.result();
    const history = await client.history(source.runId);
    assert.equal(history.runId, source.runId);
    assert.equal(history.status, 'completed');
    assert.deepEqual(
      history.steps.map((s) => [s.step, s.model, s.answered, s.toolCalls.map((c) => [c.name, c.args, c.isError])]),
      [
        [1, model, false, [['calculator', '{"expression":"1+1"}', false]]],
        [2, model, false, [['word_count', '{"text":"a b c"}', false]]],
        [3, model, false, [['calculator', '{"expression":"6*7"}', false]]],
        [4, model, true, []],
      ],
    );
    const sum = (key: 'inputTokens' | 'outputTokens' | 'costUsd') =>
      history.steps.reduce((n, s) => n + (s[key] ?? NaN), 0);
    assert.equal(sum('inputTokens'), result.usage.inputTokens);
    assert.equal(sum('outputTokens'), result.usage.outputTokens);
    assert.ok(Math.abs(sum('costUsd') - result.usage.costUsd) < 1e-9, `cost ${sum('costUsd')}`);
    assert.ok(history.steps.every((s) => s.costUsd! > 0 && !s.inherited));

    const json = await cli(['history', source.runId, '--json']);
    assert.equal(json.code, 0, json.stderr);
    assert.deepEqual(JSON.parse(json.stdout), history);
    const human = await cli(['history', source.runId]);
    assert.equal(human.code, 0, human.stderr);
    const lines = human.stdout.trimEnd().split('\n');
    assert.match(lines[0], /^STEP\s+MODEL\s+TOKENS IN\/OUT\s+COST\s+ANSWERED\s+TOOL CALLS$/);
    assert.equal(lines.length, 5);
    assert.match(
      lines[1],
      /^1\s+scripted:auto\s+\d+\/\d+\s+\$\d+\.\d{4}\s+no\s+calculator\(\{"expression":"1\+1"\}\)$/,
    );
    assert.match(lines[4], /^4\s+scripted:auto\s+\d+\/\d+\s+\$\d+\.\d{4}\s+yes\s+-$/);
  });

  test('a running run lists only its finished steps; an unknown run is NotFound', async () => {
    const handle = await startRun('fork-history', { approval: { tools: ['word_count'] } });
    await untilState(handle, 'awaiting approval at step 2', (s) => s.status === 'awaiting_approval');
    const history = await handle.history();
    assert.equal(history.status, 'awaiting_approval');
    assert.deepEqual(
      history.steps.map((s) => [s.step, s.toolCalls.map((c) => c.name)]),
      [[1, ['calculator']]],
    );
    await handle.stop();
    await refused(client.history('no-such-run'), 'NotFound');
    cliError(await cli(['history', 'no-such-run', '--json']), 'NotFound');
  });
});

describe('fork', () => {
  test('at step 1: the conversation through step 1, then the new run completes on its own; the source is untouched', async () => {
    const source = await completedSource();
    const was = {
      state: await source.state(),
      conversation: await conversation(source),
      events: await events(source),
      result: await source.result(),
    };
    const user = 'fork-source';
    const spentBefore = (await client.usage(user)).day.calls;

    const fork = await client.fork(source.runId, 1);
    assert.notEqual(fork.runId, source.runId);
    const result = await fork.result();
    assert.equal(result.status, 'completed');
    assert.equal(result.steps, 4);
    assert.equal(result.answer, was.result.answer);
    assert.match(result.answer, /^Tool results: 2 \| \{"words":3[^|]*\| 42$/);
    // Its own spending only: three model calls and two tool calls after step 1.
    assert.equal(result.usage.modelCalls, 3);
    assert.equal(result.usage.toolCalls, 2);

    const forked = await conversation(fork);
    assert.deepEqual(forked.slice(0, 4), was.conversation.slice(0, 4), 'opening messages and step 1');
    assert.deepEqual(forked, was.conversation, 'the scripted model takes the same steps again');

    const state = await fork.state();
    assert.deepEqual(state.forkedFrom, { runId: source.runId, step: 1 });
    assert.equal(state.user, user);
    assert.equal(state.model, model);
    const log = await events(fork);
    assert.deepEqual(
      log.slice(0, 3).map((e) => [e.type, e.data]),
      [
        ['run.started', { template: 'react', user, model }],
        ['run.forked', { fromRunId: source.runId, fromStep: 1 }],
        ['step.started', { step: 2 }],
      ],
    );
    const history = await fork.history();
    assert.deepEqual(
      history.steps.map((s) => [s.step, s.inherited ?? false, s.model]),
      [
        [1, true, undefined],
        [2, false, model],
        [3, false, model],
        [4, false, model],
      ],
    );
    assert.match((await cli(['state', fork.runId])).stdout, new RegExp(`forked from\\s+${source.runId} at step 1`));

    // The source, as it was.
    assert.deepEqual(await source.state(), was.state);
    assert.deepEqual(await conversation(source), was.conversation);
    assert.deepEqual(await events(source), was.events);

    // An ordinary run: listed by its user and template, and metered to its user.
    await eventually(
      async () =>
        (await client.list({ user, template: 'react' })).some(
          (r) => r.runId === fork.runId && r.status === 'completed',
        ),
      'the fork listed as a completed react run of its user',
    );
    await eventually(
      async () => (await client.usage(user)).day.calls === spentBefore + 3,
      "the fork's three model calls charged to its user",
    );
  });

  test('at step 0 it starts from the opening messages; user, model and options can be changed', async () => {
    const source = await completedSource();
    const id = `fork-${randomUUID()}`;
    const fork = await client.fork(source.runId, 0, { id, user: 'fork-other', model: 'scripted:auto?pad=3' });
    assert.equal(fork.runId, id);
    const result = await fork.result();
    assert.equal(result.steps, 4);
    assert.equal(result.usage.modelCalls, 4);
    assert.match(result.answer, /^Tool results: .* \.\.\.$/, 'answered by the given model');
    const state = await fork.state();
    assert.equal(state.user, 'fork-other');
    assert.equal(state.model, 'scripted:auto?pad=3');
    assert.deepEqual(state.forkedFrom, { runId: source.runId, step: 0 });
    assert.deepEqual((await conversation(fork)).slice(0, 2), (await conversation(source)).slice(0, 2));
  });

  test('at the last step of an answered run it asks the model again', async () => {
    const source = await completedSource();
    const fork = await client.fork(source.runId, 4);
    const result = await fork.result();
    assert.equal(result.steps, 5);
    assert.equal(result.usage.modelCalls, 1);
    assert.deepEqual((await conversation(fork)).slice(0, 9), await conversation(source));
  });

  test("with encrypted payloads: the recorded input is read through the client's codecs", async () => {
    const blobDir = mkdtempSync(join(tmpdir(), 'fork-blobs-'));
    const dataConverter = createDataConverter({
      AGENT_PAYLOAD_KEYS: `k:${randomBytes(32).toString('base64')}`,
      AGENT_BLOB_DIR: blobDir,
    });
    const queue = uniqueTaskQueue('fork-encrypted');
    const namespace = env.namespace ?? 'default';
    const worker = await createAgentWorker({
      connection: env.nativeConnection,
      namespace,
      taskQueue: queue,
      activities: { providerEnv: {} },
      dataConverter,
    });
    const encrypted = new AgentClient(new Client({ connection: env.connection, namespace, dataConverter }), {
      taskQueue: queue,
    });
    try {
      await worker.runUntil(async () => {
        const source = await encrypted.start({ template: 'react', input: { task }, model, user: 'fork-encrypted' });
        await source.result();
        const fork = await encrypted.fork(source.runId, 2);
        assert.equal((await fork.result()).answer, (await source.result()).answer);
        assert.equal((await encrypted.history(fork.runId)).steps.length, 4);
      });
    } finally {
      rmSync(blobDir, { recursive: true, force: true });
    }
  });

  test('of a run awaiting approval: the fork keeps its options unless given others; the in-flight step is not offered', async () => {
    const source = await startRun('fork-approval', { approval: { tools: ['word_count'] } });
    const parked = await untilState(source, 'awaiting approval', (s) => s.status === 'awaiting_approval');
    assert.equal(parked.step, 1);

    const gated = await client.fork(source.runId, 1);
    const waiting = await untilState(gated, 'the fork awaiting approval', (s) => s.status === 'awaiting_approval');
    assert.deepEqual(
      waiting.pendingApprovals!.map((p) => [p.tool, p.step]),
      [['word_count', 2]],
    );
    await gated.approve();
    assert.match((await gated.result()).answer, /^Tool results: 2 \| \{"words":3[^|]*\| 42$/);

    const free = await client.fork(source.runId, 1, { options: {} });
    assert.equal((await free.result()).steps, 4);

    const err = await refused(client.fork(source.runId, 2, { id: `bad-${randomUUID()}` }), 'InvalidInput');
    assert.match(err.message, /0 to 1/);
    const now = await source.state();
    assert.equal(now.status, 'awaiting_approval');
    assert.deepEqual(now.pendingApprovals, parked.pendingApprovals);
    await source.stop();
  });

  test('of a paused run: the fork runs to the end, the source stays paused where it was', async () => {
    const source = await startRun('fork-paused', undefined, 'scripted:auto?rounds=20&delayMs=50', {
      task: 'count',
      maxSteps: 30,
    });
    await source.pause();
    const paused = await untilState(source, 'paused', (s) => s.status === 'paused');
    const fork = await client.fork(source.runId, paused.step);
    const result = await fork.result();
    assert.equal(result.steps, 21);
    assert.equal(result.answer, 'Done after 20 tool calls; last result 40.');
    const sourceConversation = await conversation(source);
    assert.equal(sourceConversation.length, 2 + 2 * paused.step);
    assert.deepEqual((await conversation(fork)).slice(0, sourceConversation.length), sourceConversation);
    const still = await source.state();
    assert.equal(still.status, 'paused');
    assert.equal(still.step, paused.step);
    await source.stop();
  });

  test('after continue-as-new: spec and conversation carried, history complete', async () => {
    const source = await startRun('fork-continued', { historyEventLimit: 100 }, 'scripted:auto?rounds=14', {
      task: 'count',
      maxSteps: 30,
    });
    const sourceResult = await source.result();
    assert.equal(sourceResult.steps, 15);
    assert.ok((await source.state()).continuations >= 1, 'the source continued as new');
    const history = await source.history();
    assert.deepEqual(
      history.steps.map((s) => [s.step, s.model, s.toolCalls.length, s.answered]),
      Array.from({ length: 15 }, (_, i) => [i + 1, 'scripted:auto?rounds=14', i < 14 ? 1 : 0, i === 14]),
    );

    const fork = await client.fork(source.runId, 12);
    const result = await fork.result();
    assert.equal(result.answer, sourceResult.answer);
    assert.equal(result.steps, 15);
    assert.equal(result.usage.modelCalls, 3);
    assert.deepEqual(await conversation(fork), await conversation(source));
    assert.deepEqual((await fork.state()).forkedFrom, { runId: source.runId, step: 12 });
  });

  test('bad input is refused with its type and nothing starts', async () => {
    const source = await completedSource();
    const taken = await client.fork(source.runId, 1, { id: `fork-${randomUUID()}` });
    await taken.result();
    const takenEvents = await events(taken);
    const bad = () => `bad-${randomUUID()}`;
    const cases: [string, (id: string) => Promise<unknown>, string, RegExp?][] = [
      ['unknown run', (id) => client.fork('no-such-run', 1, { id }), 'NotFound', /no-such-run/],
      ['step below 0', (id) => client.fork(source.runId, -1, { id }), 'InvalidInput', /0 to 4/],
      ['step past the finished ones', (id) => client.fork(source.runId, 5, { id }), 'InvalidInput', /0 to 4/],
      ['step not a whole number', (id) => client.fork(source.runId, 1.5, { id }), 'InvalidInput', /step/],
      ['malformed model', (id) => client.fork(source.runId, 1, { id, model: 'nope' }), 'UnknownModel'],
      ['malformed user', (id) => client.fork(source.runId, 1, { id, user: 'no spaces' }), 'InvalidInput', /user/],
      [
        'bad options',
        (id) => client.fork(source.runId, 1, { id, options: { historyEventLimit: 1 } }),
        'InvalidInput',
        /historyEventLimit/,
      ],
      ['malformed id', () => client.fork(source.runId, 1, { id: 'bad id' }), 'InvalidInput', /\bid:/],
    ];
    for (const [what, fork, type, message] of cases) {
      const id = bad();
      const err = await refused(fork(id), type);
      if (message) assert.match(err.message, message, what);
      await assertNotStarted(id);
    }
    await refused(client.fork(source.runId, 1, { id: source.runId }), 'AlreadyExists');
    await refused(client.fork(source.runId, 1, { id: taken.runId }), 'AlreadyExists');
    assert.deepEqual(await events(taken), takenEvents, 'the run with that id is untouched');
    // Its user has the source and the one fork that was started, nothing else.
    await eventually(
      async () => (await client.list({ user: 'fork-source' })).some((r) => r.runId === taken.runId),
      'listed',
    );
    const ids = (await client.list({ user: 'fork-source' })).map((r) => r.runId);
    assert.ok(!ids.some((id) => id.startsWith('bad-')), `refused forks were started: ${ids.join(', ')}`);
  });

  test('agentctl fork prints the new run; bad input gets its typed error', async () => {
    const source = await completedSource();
    const id = `cli-fork-${randomUUID()}`;
    const run = await cli(['fork', source.runId, '--step', '2', '--id', id, '--json']);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(JSON.parse(run.stdout), { runId: id, forkedFrom: { runId: source.runId, step: 2 } });
    const result = await client.getHandle(id).result();
    assert.equal(result.usage.modelCalls, 2);
    const human = await cli(['fork', source.runId, '--step', '3']);
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, /^run-[0-9a-f-]{36}\n$/);
    await client.getHandle(human.stdout.trim()).result();

    const rejected = `cli-bad-${randomUUID()}`;
    assert.match(
      cliError(await cli(['fork', source.runId, '--step', '9', '--id', rejected, '--json']), 'InvalidInput'),
      /0 to 4/,
    );
    cliError(await cli(['fork', 'no-such-run', '--step', '1', '--id', rejected, '--json']), 'NotFound');
    cliError(await cli(['fork', source.runId, '--step', '1', '--id', id, '--json']), 'AlreadyExists');
    cliError(await cli(['fork', source.runId, '--id', rejected, '--json']), 'Usage', 2);
    cliError(await cli(['fork', source.runId, '--step', 'x', '--id', rejected, '--json']), 'Usage', 2);
    await assertNotStarted(rejected);
  });
});
