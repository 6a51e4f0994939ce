/**
 * Crash and restart: a SIGKILLed worker's run finishes on a new worker without repeating finished model
 * calls, and runs continue across a dev server restart on its persistent database.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { startLlmStub, type LlmStub, type LoggedRequest } from '../llm-stub';
import { AgentClient } from '../client';
import { startDevServer, type DevServer } from '../testing/dev-server';
import { eventually, uniqueTaskQueue } from '../testing/environment';
import { sigkillWorker } from '../testing/processes';
import { startWorkerProcess, type WorkerProcess } from '../testing/worker-process';

let server: DevServer;
let stub: LlmStub;
let connection: Connection;
let client: AgentClient;
const workers: WorkerProcess[] = [];

before(async () => {
  server = await startDevServer({ dbFilename: join(mkdtempSync(join(tmpdir(), 'agents-durability-')), 'temporal.db') });
  stub = await startLlmStub({ port: 0 });
  connection = await Connection.connect({ address: server.address });
});

after(async () => {
  await Promise.all(workers.map(sigkillWorker));
  await connection.close();
  await stub.close();
  await server.stop();
});

async function worker(taskQueue: string): Promise<WorkerProcess> {
  const w = await startWorkerProcess({
    TEMPORAL_ADDRESS: server.address,
    AGENT_TASK_QUEUE: taskQueue,
    OPENAI_BASE_URL: stub.url,
    OPENAI_API_KEY: 'sk-test',
  });
  workers.push(w);
  return w;
}

function modelCalls(runId: string): LoggedRequest[] {
  return stub.requests().filter((r) => r.path === '/v1/chat/completions' && r.key.run === runId);
}

test('SIGKILL mid-run: a new worker finishes it and no finished model call is repeated', async () => {
  const taskQueue = uniqueTaskQueue('crash');
  client = new AgentClient(new Client({ connection }), { taskQueue });
  const first = await worker(taskQueue);
  // Every model call takes 700 ms at the stub, so the kill lands while one is in flight.
  stub.addFaults([{ kind: 'delay', ms: 700, times: 1000, match: { run: 'crash-run' } }]);
  const handle = await client.start({
    template: 'react',
    input: { task: 'count', maxSteps: 20 },
    model: 'openai:stub-model?rounds=6',
    user: 'carol',
    runId: 'crash-run',
  });

  await eventually(
    async () => modelCalls('crash-run').some((r) => r.key.step === 3 && r.outcome === 'pending'),
    'step 3 in flight',
  );
  // The worker itself, not only its tsx wrapper (which would leave the worker polling).
  await sigkillWorker(first);
  const inFlight = modelCalls('crash-run')
    .filter((r) => r.outcome === 'pending' || r.outcome === 'client-closed')
    .map((r) => r.key.step);

  await worker(taskQueue);
  const result = await handle.result();
  assert.equal(result.status, 'completed');
  assert.equal(result.steps, 7);
  assert.equal(result.usage.modelCalls, 7);

  const okPerStep = new Map<number, number>();
  for (const r of modelCalls('crash-run'))
    if (r.outcome === 'ok' || r.outcome === 'fault') okPerStep.set(r.key.step!, (okPerStep.get(r.key.step!) ?? 0) + 1);
  const repeated = [...okPerStep].filter(([, n]) => n > 1).map(([step]) => step);
  console.log(
    `stub log per step (finished calls): ${JSON.stringify(Object.fromEntries(okPerStep))}; in flight at kill: ${inFlight}`,
  );
  assert.deepEqual(
    [...okPerStep.keys()].sort((a, b) => a - b),
    [1, 2, 3, 4, 5, 6, 7],
  );
  // Only the call in flight at the kill may have been made again.
  assert.ok(
    repeated.every((step) => inFlight.includes(step)),
    `finished calls repeated: ${repeated}`,
  );
});

test('dev server restart with its database: runs in flight continue', async () => {
  const taskQueue = uniqueTaskQueue('restart');
  const w = await worker(taskQueue);
  const runClient = new AgentClient(new Client({ connection }), { taskQueue });
  const handle = await runClient.start({
    template: 'react',
    input: { task: 'count', maxSteps: 30 },
    model: 'scripted:auto?rounds=10&delayMs=300',
    user: 'dave',
    runId: 'restart-run',
  });
  await eventually(async () => (await handle.state()).step >= 2, 'two steps done');

  await server.stop('SIGKILL');
  await new Promise((r) => setTimeout(r, 1000));
  await server.start();

  const result = await handle.result();
  assert.equal(result.status, 'completed');
  assert.equal(result.steps, 11);
  assert.equal(w.child.exitCode, null, 'the worker should ride out the server restart');
});
