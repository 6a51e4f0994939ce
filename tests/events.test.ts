/**
 * Observability through the real stack: durable step events in order with correct payloads, the same events
 * on the worker's bus exactly once even when every task replays, followers in other processes that resume
 * after a disconnect, and tokens reaching another process before the model call ends.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import type { AgentEvent, RunEvent } from '../agents/events';
import { followEvents, type AgentClient } from '../client';
import { EventBus } from '../worker/events/event-bus';
import { createAgentWorker } from '../worker/create-worker';
import {
  agentClient,
  eventually,
  startDevEnvironment,
  uniqueTaskQueue,
  untilCatalogPublished,
} from '../testing/environment';
import { projectRoot } from '../testing/paths';
import { activityTypes } from './helpers/history-activities';

let env: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;
let client: AgentClient;
let taskQueue: string;
const bus = new EventBus({ historySize: 10_000 });

before(async () => {
  env = await startDevEnvironment();
  taskQueue = uniqueTaskQueue('events');
  // No workflow cache: every workflow task replays the history, the hardest case for double counting.
  worker = await createAgentWorker({
    connection: env.nativeConnection,
    namespace: 'default',
    taskQueue,
    activities: { providerEnv: {} },
    bus,
    maxCachedWorkflows: 0,
  });
  running = worker.run();
  client = agentClient(env, taskQueue);
  // Runs record what the published catalog offers (built-ins local or not): wait for it.
  await untilCatalogPublished(client);
});

after(async () => {
  worker.shutdown();
  await running;
  await env.teardown();
});

async function allEvents(runId: string): Promise<RunEvent[]> {
  const events: RunEvent[] = [];
  for await (const event of followEvents(client.getHandle(runId).workflow)) events.push(event);
  return events;
}

test('a react run records its events in order, with payloads, once each on the bus', async () => {
  const handle = await client.start({
    template: 'react',
    input: { task: 'What is (2 + 3) * 4?' },
    user: 'obs',
    model: 'scripted:auto',
  });
  const result = await handle.result();
  const events = await allEvents(handle.runId);
  assert.deepEqual(
    events.map((e) => e.type),
    [
      'run.started',
      'step.started',
      'model.call',
      'tool.call',
      'step.finished',
      'step.started',
      'model.call',
      'step.finished',
      'run.completed',
    ],
  );
  assert.deepEqual(
    events.map((e) => e.seq),
    [1, 2, 3, 4, 5, 6, 7, 8, 9],
  );
  const [started, , call1, tool, finished1, , call2, finished2, completed] = events as RunEvent<any>[];
  assert.deepEqual(started.data, { template: 'react', user: 'obs', model: 'scripted:auto' });
  assert.equal(call1.data.step, 1);
  assert.equal(call1.data.inputTokens + call2.data.inputTokens, result.usage.inputTokens);
  assert.equal(call1.data.outputTokens + call2.data.outputTokens, result.usage.outputTokens);
  assert.deepEqual(tool.data, { step: 1, tool: 'calculator', isError: false });
  assert.deepEqual(finished1.data, { step: 1, toolCalls: 1, answered: false });
  assert.deepEqual(finished2.data, { step: 2, toolCalls: 0, answered: true });
  assert.deepEqual(completed.data, { step: 2, finishReason: 'answer' });

  // With no workflow cache the worker runs no local activities (Temporal would drop or retry them): the calculator
  // call is an activity task, and history holds no local-activity marker.
  const history = await handle.workflow.fetchHistory();
  const scheduled = activityTypes(history, false);
  assert.ok(scheduled.includes('callTool'), `activity tasks: ${scheduled.join(', ')}`);
  assert.equal(history.events!.filter((e) => e.markerRecordedEventAttributes).length, 0);

  const onBus = bus.history().filter((e: AgentEvent) => e.runId === handle.runId);
  const durableOnBus = onBus.filter((e) => e.seq !== undefined);
  assert.deepEqual(
    durableOnBus.map((e) => e.seq),
    events.map((e) => e.seq),
    'each durable event reaches the bus exactly once',
  );
  assert.equal(onBus.filter((e) => e.type === 'activity.model_call').length, 2);
  assert.equal(onBus.filter((e) => e.type === 'activity.tool_call').length, 1);
  const finished = onBus.filter((e) => e.type === 'workflow.finished');
  assert.equal(finished.length, 1);
  assert.equal((finished[0].data as { outcome: string }).outcome, 'completed');
});

test('pause, resume and stop appear as events; a park sends its carried usage with an activity, no cache needed', async () => {
  // On this worker without a workflow cache: the usage the run carries when it parks goes with an activity task
  // (a local activity would be dropped, and tried again only after the workflow task timed out).
  const handle = await client.start({
    template: 'react',
    input: { task: 'count', maxSteps: 20 },
    user: 'obs',
    model: 'scripted:auto?rounds=10&delayMs=200',
  });
  await eventually(async () => (await handle.state()).step >= 1, 'a model call made, its usage carried');
  await handle.pause();
  await eventually(async () => (await handle.state()).status === 'paused', 'parked at a step boundary');
  await handle.resume();
  await handle.stop();
  await handle.result();
  const types = (await allEvents(handle.runId)).map((e) => e.type);
  for (const type of ['run.paused', 'run.resumed', 'run.stopped'] as const)
    assert.ok(types.includes(type), `${type} missing from ${types}`);
  assert.ok(
    types.indexOf('run.paused') < types.indexOf('run.resumed') &&
      types.indexOf('run.resumed') < types.indexOf('run.stopped'),
  );
  const history = await handle.workflow.fetchHistory();
  const scheduled = activityTypes(history, false);
  assert.ok(scheduled.includes('commitUsage'), `activity tasks: ${scheduled.join(', ')}`);
  assert.equal(history.events!.filter((e) => e.workflowTaskTimedOutEventAttributes).length, 0, 'no task timed out');
});

/** Runs agentctl and collects its stdout lines with the time each arrived. */
function agentctl(args: string[]) {
  const child = spawn(process.execPath, [join(projectRoot, 'bin', 'agentctl.js'), ...args], {
    env: { ...process.env, TEMPORAL_ADDRESS: env.address, AGENT_TASK_QUEUE: taskQueue },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: { at: number; line: string }[] = [];
  let buffer = '';
  child.stdout.on('data', (data) => {
    buffer += data;
    const parts = buffer.split('\n');
    buffer = parts.pop()!;
    for (const line of parts) if (line) lines.push({ at: Date.now(), line });
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { child, lines, exited };
}

test('a follower in another process resumes from its last sequence number after a disconnect', async () => {
  const handle = await client.start({
    template: 'react',
    input: { task: 'count', maxSteps: 20 },
    user: 'obs',
    model: 'scripted:auto?rounds=6&delayMs=300',
  });
  const first = agentctl(['events', handle.runId, '--follow', '--json']);
  while (first.lines.length < 6) await new Promise((r) => setTimeout(r, 50));
  first.child.kill('SIGKILL'); // the disconnect
  await first.exited;
  const seen = first.lines.map(({ line }) => JSON.parse(line) as RunEvent);
  const lastSeq = seen[seen.length - 1].seq;

  const second = agentctl(['events', handle.runId, '--follow', '--json', '--after', String(lastSeq)]);
  assert.equal(await second.exited, 0);
  const resumed = second.lines.map(({ line }) => JSON.parse(line) as RunEvent);
  const all = await allEvents(handle.runId);
  assert.deepEqual(
    [...seen, ...resumed].map((e) => e.seq),
    all.map((e) => e.seq),
    'no event lost or repeated',
  );
  assert.equal(resumed[resumed.length - 1].type, 'run.completed');
});

test('tokens reach a client in another process before the model call ends, in bounded batches', async () => {
  const message = 'please stream this reply word by word so that the follower can see it arrive early';
  const handle = await client.start({
    template: 'chat',
    input: { message },
    user: 'obs',
    model: 'scripted:auto?delayMs=3000&tokenDelayMs=100',
    options: { streamTokens: true },
  });
  const follower = agentctl(['tokens', handle.runId, '--json']);
  const result = await handle.result();
  assert.equal(await follower.exited, 0);
  const chunks = follower.lines.map(({ at, line }) => ({
    at,
    ...(JSON.parse(line) as { text: string; done: boolean }),
  }));
  const text = chunks
    .filter((c) => !c.done)
    .map((c) => c.text)
    .join('');
  assert.equal(text, result.answer);
  const modelCall = (await allEvents(handle.runId)).find((e) => e.type === 'model.call')!;
  const firstChunk = chunks.find((c) => c.text)!;
  assert.ok(firstChunk.at < Date.parse(modelCall.at), `first token at ${firstChunk.at}, call ended at ${modelCall.at}`);

  const history = await handle.workflow.fetchHistory();
  const batches = history.events!.filter(
    (e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'tokenDeltas',
  ).length;
  const words = result.answer.split(/\s+/).length;
  console.log(`streamed ${words} words in ${batches} signal batches`);
  assert.ok(batches >= 2 && batches < words, `expected a few batches for ${words} words, got ${batches}`);
});
