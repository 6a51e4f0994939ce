/**
 * Human approval of tool calls (`options.approval`) on the real stack: a run parks before a gated tool call,
 * `state` lists it, and `approve` / `reject` (client and agentctl), the approval timeout, pause, stop and cancel
 * act on it. The scripted model calls the tools named on `call <tool> <JSON>` lines of the task.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { ApprovalOptions } from '../agents/approval';
import type { RunEvent } from '../agents/events';
import { eventsQuery } from '../agents/messages';
import { runCli } from '../client/cli';
import { AgentClient, AgentError, type AgentRunHandle, type RunState } from '../client';
import { eventually, inProcessWorker, uniqueTaskQueue } from '../testing/environment';
import { recordedActivities } from './helpers/history-activities';
import { agentTestbed } from './helpers/testbed';

const testbed = agentTestbed({ name: 'approvals' });
let env: TestWorkflowEnvironment;
let client: AgentClient;
let taskQueue: string;
before(async () => {
  ({ env, client, taskQueue } = await testbed.start());
});
after(() => testbed.stop());

/** The scripted model, making every `call` line of the task a call of its first step (ids `call_1_1`, `call_1_2`, ...). */
const gatedModel = 'scripted:auto?parallel=1';
const calc = 'call calculator {"expression":"6*7"}';
const words = 'call word_count {"text":"one two three"}';

function startGated(task: string, approval: ApprovalOptions, model = gatedModel): Promise<AgentRunHandle> {
  return client.start({ template: 'react', input: { task }, model, user: 'approver', options: { approval } });
}

function untilState(handle: AgentRunHandle, what: string, ok: (s: RunState) => boolean): Promise<RunState> {
  return eventually(async () => {
    const state = await handle.state();
    return ok(state) && state;
  }, `${handle.runId}: ${what}`);
}

const awaiting = (handle: AgentRunHandle, calls = 1) =>
  untilState(
    handle,
    `awaiting ${calls} approval(s)`,
    (s) => s.status === 'awaiting_approval' && s.pendingApprovals?.length === calls,
  );

async function events(handle: AgentRunHandle): Promise<RunEvent[]> {
  return (await handle.workflow.query(eventsQuery, { after: 0, limit: 200 })).events;
}

/** Tool-call activities the run ran (remote or local), from its history. */
async function toolActivities(handle: AgentRunHandle): Promise<number> {
  return recordedActivities(await handle.workflow.fetchHistory()).filter((a) => a.type === 'callTool').length;
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

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t) },
    env: { TEMPORAL_ADDRESS: env.address, AGENT_TASK_QUEUE: taskQueue, AGENT_DEFAULT_MODEL: gatedModel },
  });
  return { code, stdout, stderr };
}

describe('approval of tool calls', () => {
  test('a gated call parks the run, is listed by state and search, and runs once approved', async () => {
    const handle = await startGated(calc, { tools: ['calc*'] });
    const state = await awaiting(handle);
    const [pending] = state.pendingApprovals!;
    assert.deepEqual(
      { ...pending, since: undefined },
      { callId: 'call_1_1', tool: 'calculator', args: { expression: '6*7' }, step: 1, since: undefined },
    );
    assert.ok(!Number.isNaN(Date.parse(pending.since)), pending.since);
    assert.equal(state.step, 0, 'the step waits: it finishes after its tools');
    assert.equal(await toolActivities(handle), 0, 'no tool activity while waiting');
    await eventually(
      async () =>
        (await client.list({ user: 'approver', status: 'awaiting_approval' })).some((r) => r.runId === handle.runId),
      'listed as awaiting_approval',
    );

    const decided = await handle.approve('call_1_1');
    assert.deepEqual(decided, { decided: [{ callId: 'call_1_1', tool: 'calculator', decision: 'approved' }] });
    const result = await handle.result();
    assert.match(result.answer, /Tool results: 42$/);
    assert.equal(result.usage.toolCalls, 1);
    assert.equal(await toolActivities(handle), 1);
    const log = await events(handle);
    const approvalEvents = log
      .filter((e) => e.type.startsWith('approval.'))
      .map((e) => ({ type: e.type, data: e.data }));
    assert.deepEqual(approvalEvents, [
      { type: 'approval.requested', data: { step: 1, callId: 'call_1_1', tool: 'calculator' } },
      {
        type: 'approval.decided',
        data: { step: 1, callId: 'call_1_1', tool: 'calculator', decision: 'approved', by: 'person' },
      },
    ]);
    assert.deepEqual((await handle.state()).pendingApprovals, []);
  });

  test('a rejected call is not run; the model is told it was rejected and why, and the run goes on', async () => {
    const handle = await startGated(calc, { tools: ['calculator'] });
    await awaiting(handle);
    await handle.reject('call_1_1', 'not today');
    const result = await handle.result();
    assert.equal(result.status, 'completed');
    assert.match(result.answer, /Tool results: This tool call was rejected by a person and was not run: not today\./);
    assert.equal(result.usage.toolCalls, 0);
    assert.equal(await toolActivities(handle), 0, 'the rejected tool never ran');
    const decided = (await events(handle)).find((e) => e.type === 'approval.decided');
    assert.deepEqual(decided?.data, {
      step: 1,
      callId: 'call_1_1',
      tool: 'calculator',
      decision: 'rejected',
      by: 'person',
      reason: 'not today',
    });
  });

  test('approve without a call id decides every pending call; ungated calls of the step run with them', async () => {
    const handle = await startGated(`${calc}\n${words}\ncall current_time {}`, { tools: ['calculator', 'word_*'] });
    const state = await awaiting(handle, 2);
    assert.deepEqual(
      state.pendingApprovals!.map((p) => p.tool),
      ['calculator', 'word_count'],
    );
    const decided = await handle.approve();
    assert.deepEqual(
      decided.decided.map((d) => d.callId),
      ['call_1_1', 'call_1_2'],
    );
    const result = await handle.result();
    assert.match(result.answer, /Tool results: 42 \| \{"words":3,[^|]*\| \d{4}-/);
    assert.equal(await toolActivities(handle), 3);
  });

  test('timeout applies onTimeout: approve', async () => {
    const handle = await startGated(calc, { tools: ['calculator'], timeoutSeconds: 1, onTimeout: 'approve' });
    const result = await handle.result();
    assert.match(result.answer, /Tool results: 42$/);
    const decided = (await events(handle)).find((e) => e.type === 'approval.decided');
    assert.deepEqual(decided?.data, {
      step: 1,
      callId: 'call_1_1',
      tool: 'calculator',
      decision: 'approved',
      by: 'timeout',
    });
  });

  test('timeout rejects by default', async () => {
    const handle = await startGated(calc, { tools: ['calculator'], timeoutSeconds: 1 });
    const result = await handle.result();
    assert.match(
      result.answer,
      /rejected by the approval timeout and was not run: no decision before the approval timeout/,
    );
    assert.equal(await toolActivities(handle), 0);
  });

  test('an unknown call id, or a run not awaiting approval, is refused with a typed error and nothing changes', async () => {
    const handle = await startGated(calc, { tools: ['calculator'] });
    const before = await awaiting(handle);
    const err = await refused(handle.approve('call_9'), 'UnknownToolCall');
    assert.match(err.message, /call_9/);
    await refused(handle.reject('call_9', 'x'), 'UnknownToolCall');
    await refused(handle.approve(''), 'InvalidInput');
    const unchanged = await handle.state();
    assert.deepEqual(unchanged.pendingApprovals, before.pendingApprovals);
    assert.equal(unchanged.status, 'awaiting_approval');
    assert.equal((await events(handle)).filter((e) => e.type === 'approval.decided').length, 0);

    // A run that needs no approval: refused while it runs.
    const plain = await client.start({
      template: 'react',
      input: { task: 'count', maxSteps: 50 },
      model: 'scripted:auto?rounds=40&delayMs=200',
      user: 'approver',
    });
    await refused(plain.approve(), 'NotAwaitingApproval');
    await plain.stop();
    assert.equal((await plain.result()).status, 'stopped');

    // The gated run once decided: not waiting any more.
    await handle.approve();
    await handle.result();
    await refused(handle.reject(), 'RunFinished');
  });

  test('a run between approvals (gated tool, nothing pending) refuses with NotAwaitingApproval', async () => {
    const handle = await startGated('no tools here', { tools: ['calculator'] }, 'scripted:auto?delayMs=1500');
    await untilState(handle, 'running', (s) => s.status === 'running');
    await refused(handle.approve(), 'NotAwaitingApproval');
    await handle.result();
  });

  test('pause while awaiting: the decided call runs, then the run parks until resumed', async () => {
    const handle = await startGated(calc, { tools: ['calculator'] });
    await awaiting(handle);
    await handle.pause();
    await untilState(handle, 'pause recorded', (s) => s.pauseRequested && s.status === 'awaiting_approval');
    await handle.approve();
    const paused = await untilState(handle, 'paused', (s) => s.status === 'paused');
    assert.equal(paused.step, 1);
    assert.equal(await toolActivities(handle), 1);
    await handle.resume();
    assert.match((await handle.result()).answer, /Tool results: 42$/);
  });

  test('stop and cancel while awaiting end the run without running the call', async () => {
    const stopped = await startGated(calc, { tools: ['calculator'] });
    await awaiting(stopped);
    await stopped.stop();
    const result = await stopped.result();
    assert.equal(result.status, 'stopped');
    assert.equal(await toolActivities(stopped), 0);

    const cancelled = await startGated(calc, { tools: ['calculator'] });
    await awaiting(cancelled);
    await cancelled.cancel();
    await refused(cancelled.result(), 'Cancelled');
    assert.equal(await toolActivities(cancelled), 0);
  });

  test('a worker that goes away while a call awaits approval: the next one rebuilds the wait from history', async () => {
    const queue = uniqueTaskQueue('approvals-crash');
    const own = new AgentClient(env.client, { taskQueue: queue });
    const first = await inProcessWorker(env, queue);
    const running = first.run();
    const handle = await own.start({
      template: 'react',
      input: { task: calc },
      model: gatedModel,
      user: 'approver',
      options: { approval: { tools: ['calculator'] } },
    });
    const before = await awaiting(handle);
    first.shutdown();
    await running;
    const second = await inProcessWorker(env, queue);
    const result = await second.runUntil(async () => {
      assert.deepEqual((await handle.state()).pendingApprovals, before.pendingApprovals);
      await handle.approve('call_1_1');
      return handle.result();
    });
    assert.match(result.answer, /Tool results: 42$/);
  });

  test('the Web UI offers approve and reject as described updates', async () => {
    const handle = await startGated(calc, { tools: ['calculator'] });
    await awaiting(handle);
    // What the UI's "Send an Update" lists: the workflow's own metadata query.
    const metadata = await handle.workflow.query<{
      definition: { updateDefinitions: { name: string; description?: string }[] };
    }>('__temporal_workflow_metadata');
    const updates = Object.fromEntries(metadata.definition.updateDefinitions.map((u) => [u.name, u.description ?? '']));
    assert.match(updates.approve, /Approve a tool call/);
    assert.match(updates.reject, /Reject a tool call/);
    await handle.approve();
    await handle.result();
  });

  test('bad approval options are refused at start and nothing starts', async () => {
    const runId = `approvals-bad-${Date.now()}`;
    await refused(
      client.start({
        template: 'react',
        input: { task: 'x' },
        user: 'approver',
        model: gatedModel,
        runId,
        options: { approval: { tools: [] } },
      }),
      'InvalidInput',
    );
    await refused(client.getHandle(runId).state(), 'NotFound');
  });
});

describe('agentctl', () => {
  test('start --options, state --json, approve --call and reject --reason', async () => {
    const started = await cli([
      'start',
      'react',
      '--user',
      'approver',
      '--input',
      JSON.stringify({ task: `${calc}\n${words}` }),
      '--options',
      '{"approval":{"tools":["calculator","word_count"]}}',
    ]);
    assert.equal(started.code, 0, started.stderr);
    const runId = started.stdout.trim();
    const handle = client.getHandle(runId);
    await awaiting(handle, 2);

    const state = await cli(['state', runId, '--json']);
    assert.equal(state.code, 0, state.stderr);
    const pending = JSON.parse(state.stdout).pendingApprovals;
    assert.deepEqual(
      pending.map((p: { callId: string; tool: string; args: unknown }) => [p.callId, p.tool, p.args]),
      [
        ['call_1_1', 'calculator', { expression: '6*7' }],
        ['call_1_2', 'word_count', { text: 'one two three' }],
      ],
    );
    const table = await cli(['state', runId]);
    assert.match(table.stdout, /awaiting\s+call_1_1\s+calculator\(\{"expression":"6\*7"\}\)\s+step 1/);

    const unknown = await cli(['approve', runId, '--call', 'call_7', '--json']);
    assert.equal(unknown.code, 1);
    assert.equal(JSON.parse(unknown.stderr).error.type, 'UnknownToolCall');

    const approved = await cli(['approve', runId, '--call', 'call_1_1']);
    assert.equal(approved.code, 0, approved.stderr);
    assert.equal(approved.stdout, 'approved calculator (call_1_1)\n');
    const rejected = await cli(['reject', runId, '--reason', 'too wordy']);
    assert.equal(rejected.code, 0, rejected.stderr);
    assert.equal(rejected.stdout, 'rejected word_count (call_1_2)\n');
    const result = await handle.result();
    assert.match(
      result.answer,
      /Tool results: 42 \| This tool call was rejected by a person and was not run: too wordy\./,
    );

    const notWaiting = await cli(['approve', runId]);
    assert.equal(notWaiting.code, 1);
    assert.match(notWaiting.stderr, /RunFinished/);
  });

  test('bad --options JSON is InvalidInput', async () => {
    const run = await cli([
      'start',
      'react',
      '--user',
      'approver',
      '--input',
      '{"task":"x"}',
      '--options',
      '{"approval":{"tools":"calculator"}}',
    ]);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /InvalidInput[^\n]*approval/);
  });
});
