/**
 * `AgentClient({ eagerStart: true })`: on the worker's own `NativeConnection` the server hands each run's first
 * workflow task back with the start (Temporal's eager workflow start); any other client is refused at construction.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Client, type WorkflowClientInterceptor } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { AgentError } from '../agents/errors';
import { AgentClient } from '../client';
import { inProcessWorker, startDevEnvironment, uniqueTaskQueue, untilCatalogPublished } from '../testing/environment';

let env: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;
let taskQueue: string;
before(async () => {
  env = await startDevEnvironment();
  taskQueue = uniqueTaskQueue('eager');
  worker = await inProcessWorker(env, taskQueue);
  running = worker.run();
});
after(async () => {
  worker.shutdown();
  await running;
  await env.teardown();
});

/** A client on the worker's connection that records what the server answered to each start. */
function clientOnWorkerConnection(eagerly: boolean[]): Client {
  const recordEager: WorkflowClientInterceptor = {
    async startWithDetails(input, next) {
      const output = await next(input);
      eagerly.push(output.eagerlyStarted);
      return output;
    },
  };
  return new Client({ connection: env.nativeConnection, interceptors: { workflow: [recordEager] } });
}

async function runOne(agents: AgentClient, runId: string) {
  await untilCatalogPublished(agents);
  const run = await agents.start({
    runId,
    template: 'react',
    input: { task: 'What is 6 * 7?' },
    model: 'scripted:auto',
    user: 'eager',
  });
  return run.result();
}

test('a client on the worker connection with eagerStart gets the first workflow task with the start', async () => {
  const eagerly: boolean[] = [];
  const agents = new AgentClient(clientOnWorkerConnection(eagerly), { taskQueue, eagerStart: true });
  const result = await runOne(agents, 'eager-1');
  assert.equal(result.status, 'completed');
  assert.match(result.answer, /42/);
  assert.deepEqual(eagerly, [true]);
});

test('without eagerStart the same client starts through the task queue', async () => {
  const eagerly: boolean[] = [];
  const agents = new AgentClient(clientOnWorkerConnection(eagerly), { taskQueue });
  assert.equal((await runOne(agents, 'eager-2')).status, 'completed');
  assert.deepEqual(eagerly, [false]);
});

test('eagerStart on a client of its own connection is refused with InvalidInput', () => {
  assert.throws(
    () => new AgentClient(env.client, { taskQueue, eagerStart: true }),
    (err: unknown) => err instanceof AgentError && err.type === 'InvalidInput',
  );
});
