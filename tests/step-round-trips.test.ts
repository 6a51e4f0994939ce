/**
 * Fewer round trips per step (issue 12): short tools run as local activities, and a model call carries the messages
 * added since the previous call, so the worker that made that call needs no conversation query. Both through a real
 * server, checked in the run's history; a tool not marked local, and a worker that did not make the previous call,
 * still work as before.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { tool } from '@langchain/core/tools';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { temporal } from '@temporalio/proto';
import { defaultPayloadConverter } from '@temporalio/common';
import { Worker } from '@temporalio/worker';
import { z } from 'zod';
import type { InvokeModelInput } from '../activities';
import type { ChatMessage } from '../agents/conversation';
import { conversationQuery } from '../agents/messages';
import type { AgentClient, AgentRunHandle } from '../client';
import { agentClient, eventually, startDevEnvironment, uniqueTaskQueue } from '../testing/environment';
import { createAgentWorker } from '../worker/create-worker';
import { EventBus } from '../worker/events/event-bus';
import { agentSinks } from '../worker/sinks';
import { loadWorkflowBundle } from '../worker/workflow-bundle';
import { activityTypes, recordedActivities } from './helpers/history-activities';

const EventType = temporal.api.enums.v1.EventType;
type History = temporal.api.history.v1.IHistory;

let env: TestWorkflowEnvironment;
before(async () => {
  env = await startDevEnvironment();
});
after(async () => {
  await env?.teardown();
});

const lookups: string[] = [];
/** A code tool with no `local` mark: it keeps its own activity task. */
const lookupCity = tool(
  ({ city }) => {
    lookups.push(city);
    return JSON.stringify({ city, population: city.length * 1000 });
  },
  { name: 'lookup_city', description: 'Population of a city', schema: z.object({ city: z.string() }) },
);
/** The same kind of tool, marked local by its author. */
const shout = tool(({ text }) => text.toUpperCase(), {
  name: 'shout',
  description: 'Upper-cases text',
  schema: z.object({ text: z.string() }),
});

/** A local tool that takes as long as it is told: parallel calls of it finish in the order of their naps. */
const nap = tool(
  async ({ ms }) => {
    await new Promise((resolve) => setTimeout(resolve, ms));
    return `napped ${ms} ms`;
  },
  { name: 'nap', description: 'Waits ms milliseconds', schema: z.object({ ms: z.number() }) },
);

async function startWorker(taskQueue: string): Promise<{ worker: Worker; running: Promise<void> }> {
  const worker = await createAgentWorker({
    connection: env.nativeConnection,
    namespace: 'default',
    taskQueue,
    activities: { providerEnv: {} },
    agents: { tools: [lookupCity, { tool: shout, local: true }, { tool: nap, local: true }] },
  });
  const running = worker.run();
  // Runs resolve their tools against the catalog the worker publishes.
  await eventually(
    async () => (await agentClient(env, taskQueue).catalog({ fresh: true })).tools.some((t) => t.name === 'shout'),
    'the worker published its tools',
  );
  return { worker, running };
}

async function stopWorker(w: { worker: Worker; running: Promise<void> }): Promise<void> {
  w.worker.shutdown();
  await w.running;
}

/** The run's whole conversation, as its workflow holds it. */
async function conversationOf(handle: AgentRunHandle): Promise<ChatMessage[]> {
  return (await handle.workflow.query(conversationQuery, { from: 0, to: 10_000 })).messages;
}

/** Activity type names scheduled as (remote) activities, and those run as local activities, in order. */
function activityKinds(history: History): { remote: string[]; local: string[] } {
  return { remote: activityTypes(history, false), local: activityTypes(history, true) };
}

/** The results of the local activities' markers, in history order (the order they finished in). */
function localResults(history: History): string[] {
  return recordedActivities(history)
    .filter((a) => a.local)
    .map(({ event }) => {
      const result = event.markerRecordedEventAttributes!.details!.result?.payloads?.[0];
      return result ? defaultPayloadConverter.fromPayload<{ content: string }>(result).content : '?';
    });
}

/** The inputs of the run's model calls, in order. */
function modelCallInputs(history: History): InvokeModelInput[] {
  return (history.events ?? [])
    .filter(
      (e) =>
        e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED &&
        e.activityTaskScheduledEventAttributes?.activityType?.name === 'invokeModel',
    )
    .map((e) =>
      defaultPayloadConverter.fromPayload<InvokeModelInput>(
        e.activityTaskScheduledEventAttributes!.input!.payloads![0],
      ),
    );
}

test('built-in and local-marked tools run as local activities; other code tools keep their activity task', async () => {
  const taskQueue = uniqueTaskQueue('round-trips');
  const w = await startWorker(taskQueue);
  try {
    const client: AgentClient = agentClient(env, taskQueue);
    const handle = await client.start({
      template: 'react',
      input: {
        task: [
          'call calculator {"expression":"6*7"}',
          'call lookup_city {"city":"Lyon"}',
          'call shout {"text":"done"}',
        ].join('\n'),
        tools: ['calculator', 'lookup_city', 'shout'],
      },
      model: 'scripted:auto',
      user: 'round-trips',
    });
    const result = await handle.result();
    assert.equal(result.status, 'completed');
    assert.equal(result.usage.toolCalls, 3);
    assert.deepEqual(lookups, ['Lyon']);
    const history = await env.client.workflow.getHandle(handle.runId).fetchHistory();
    const kinds = activityKinds(history);
    assert.deepEqual(kinds.local, ['callTool', 'callTool'], 'calculator and shout ran as local activities');
    assert.deepEqual(kinds.remote, ['invokeModel', 'invokeModel', 'callTool', 'invokeModel', 'invokeModel']);
    // The tools' answers reached the model: the conversation has them in order.
    const conversation = await conversationOf(handle);
    const toolMessages = conversation.filter((m) => m.role === 'tool').map((m) => m.content);
    assert.deepEqual(toolMessages, ['42', JSON.stringify({ city: 'Lyon', population: 4000 }), 'DONE']);
  } finally {
    await stopWorker(w);
  }
});

test('the first model call carries the opening messages and spec; each later one the messages added since', async () => {
  const taskQueue = uniqueTaskQueue('round-trips-tail');
  const w = await startWorker(taskQueue);
  try {
    const client: AgentClient = agentClient(env, taskQueue);
    const handle = await client.start({
      template: 'react',
      input: {
        task: 'call calculator {"expression":"1+1"}\ncall calculator {"expression":"2+2"}',
        tools: ['calculator'],
      },
      model: 'scripted:auto',
      user: 'round-trips',
    });
    const result = await handle.result();
    assert.equal(result.status, 'completed');
    const inputs = modelCallInputs(await env.client.workflow.getHandle(handle.runId).fetchHistory());
    assert.equal(inputs.length, 3);
    // The first call carries the opening messages and the recorded spec: no query at all.
    assert.equal(inputs[0].tail?.from, 0);
    assert.deepEqual(
      inputs[0].tail?.messages.map((m) => m.role),
      ['system', 'user'],
    );
    assert.deepEqual(
      inputs[0].tail?.spec?.tools?.map((t) => t.name),
      ['calculator'],
    );
    for (const input of inputs.slice(1)) {
      assert.ok(input.tail, `call of step ${input.step} carries a tail`);
      assert.equal(input.tail.from + input.tail.messages.length, input.messageCount);
      assert.deepEqual(
        input.tail.messages.map((m) => m.role),
        ['tool'],
      );
    }
    assert.equal(inputs[1].tail!.messages[0].content, '2');
    assert.equal(inputs[2].tail!.messages[0].content, '4');
  } finally {
    await stopWorker(w);
  }
});

test('a model call on a worker that did not make the previous one reads the conversation and answers the same', async () => {
  const taskQueue = uniqueTaskQueue('round-trips-move');
  const client: AgentClient = agentClient(env, taskQueue);
  // Paused after its first step, the run moves to a second worker: its tail names a reply that worker never made.
  let w = await startWorker(taskQueue);
  const handle = await client.start({
    template: 'react',
    input: {
      task: 'call calculator {"expression":"3*3"}\ncall calculator {"expression":"4*4"}',
      tools: ['calculator'],
    },
    model: 'scripted:auto',
    user: 'round-trips',
    options: { modelTimeoutSeconds: 30 },
  });
  try {
    await handle.pause();
    for (let i = 0; i < 200 && (await handle.state()).status !== 'paused'; i++)
      await new Promise((r) => setTimeout(r, 50));
    assert.equal((await handle.state()).status, 'paused');
    await stopWorker(w);
    w = await startWorker(taskQueue);
    await handle.resume();
    const result = await handle.result();
    assert.equal(result.status, 'completed');
    const conversation = await conversationOf(handle);
    assert.deepEqual(
      conversation.filter((m) => m.role === 'tool').map((m) => m.content),
      ['9', '16'],
    );
    assert.equal(result.usage.modelCalls, 3);
  } finally {
    await stopWorker(w);
  }
});

test('parallel local tools that finish out of order replay as recorded, results in the order of the calls', async () => {
  const taskQueue = uniqueTaskQueue('round-trips-order');
  const w = await startWorker(taskQueue);
  try {
    const handle = await agentClient(env, taskQueue).start({
      template: 'react',
      input: { task: 'call nap {"ms":600}\ncall nap {"ms":5}\ncall nap {"ms":200}', tools: ['nap'] },
      model: 'scripted:auto?parallel=1',
      user: 'round-trips',
    });
    const result = await handle.result();
    assert.equal(result.status, 'completed');
    assert.equal(result.usage.toolCalls, 3);
    const history = await env.client.workflow.getHandle(handle.runId).fetchHistory();
    // Live, the three local activities resolved in the order they finished, not the order they were scheduled in.
    assert.deepEqual(localResults(history), ['napped 5 ms', 'napped 200 ms', 'napped 600 ms']);
    // The conversation, and so the next model call, has them in the order the model asked for them.
    const toolMessages = (await conversationOf(handle)).filter((m) => m.role === 'tool');
    assert.deepEqual(
      toolMessages.map((m) => m.content),
      ['napped 600 ms', 'napped 5 ms', 'napped 200 ms'],
    );
    // A replay (another worker, or this one after evicting the run) resolves them from the markers: the same
    // commands in the same order, or it fails with a nondeterminism error.
    await Worker.runReplayHistory(
      { workflowBundle: await loadWorkflowBundle(), sinks: agentSinks(new EventBus()) },
      history,
      handle.runId,
    );
  } finally {
    await stopWorker(w);
  }
});
