/**
 * One user's rate limit across two worker processes on one dev server: the provider (our stub) never sees
 * more calls in any window than the limit allows. `wait` runs sleep (a durable timer) and complete;
 * `fail` runs fail with RateLimited.
 *
 * Each process polls its own task queue, so both are sure to make calls: on one shared queue Temporal may
 * hand every task to one of them (a worker that completes a workflow task takes its activities eagerly).
 * The user's ledger is one workflow whichever queue starts it, so the limit is shared all the same.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { PolicyInput } from '../activities/middleware/policy';
import { AgentClient, type AgentError } from '../client';
import { startLlmStub, type LlmStub, type LoggedRequest } from '../llm-stub';
import { startDevEnvironment, uniqueTaskQueue } from '../testing/environment';
import { startWorkerProcess, type WorkerProcess } from '../testing/worker-process';

const windowMs = 2000;
const policy: PolicyInput = {
  roles: {
    // With a quota too, both checks go to the ledger in one update (`admit`).
    waiter: {
      rateLimit: { requests: 3, windowSeconds: windowMs / 1000, onLimit: 'wait' },
      quota: { tokens: 1_000_000, period: 'day' },
    },
    failer: { rateLimit: { requests: 2, windowSeconds: windowMs / 1000, onLimit: 'fail' } },
  },
  users: { 'rl-wait': ['waiter'], 'rl-fail': ['failer'] },
};

let env: TestWorkflowEnvironment;
let stub: LlmStub;
let client: AgentClient;
/** The same service, starting runs on the second worker's queue. */
let secondQueueClient: AgentClient;
let workers: WorkerProcess[] = [];

before(async () => {
  env = await startDevEnvironment();
  stub = await startLlmStub({ port: 0 });
  const [taskQueue, secondQueue] = [uniqueTaskQueue('rate'), uniqueTaskQueue('rate-2')];
  const workerEnv = (queue: string) => ({
    TEMPORAL_ADDRESS: env.address,
    AGENT_TASK_QUEUE: queue,
    OPENAI_BASE_URL: stub.url,
    OPENAI_API_KEY: 'sk-test',
    AGENT_POLICY: JSON.stringify(policy),
  });
  workers = await Promise.all([startWorkerProcess(workerEnv(taskQueue)), startWorkerProcess(workerEnv(secondQueue))]);
  client = new AgentClient(env.client, { taskQueue });
  secondQueueClient = new AgentClient(env.client, { taskQueue: secondQueue });
});

after(async () => {
  await Promise.all(workers.map((w) => w.kill('SIGTERM')));
  await stub.close();
  await env.teardown();
});

/** The logging middleware's JSON lines for model calls, with Temporal's run context. */
function modelCallLogs(worker: WorkerProcess): Record<string, unknown>[] {
  return worker
    .output()
    .split('\n')
    .filter((line) => line.startsWith('{') && line.includes('"model call'))
    .map((line) => JSON.parse(line));
}

function callsOf(prefix: string): LoggedRequest[] {
  return stub.requests().filter((r) => r.path === '/v1/chat/completions' && r.key.run?.startsWith(prefix));
}

/** The most calls the stub received in any window of `windowMs` (each window starting at an arrival). */
function busiestWindow(calls: LoggedRequest[]): number {
  const times = calls.map((c) => Date.parse(c.time)).sort((a, b) => a - b);
  return Math.max(0, ...times.map((t, i) => times.slice(i).filter((u) => u < t + windowMs).length));
}

test('wait: 5 runs of one user on two workers complete, and no window sees more than 3 calls', async () => {
  const started = Date.now();
  const handles = await Promise.all(
    Array.from({ length: 5 }, (_, i) =>
      (i % 2 ? secondQueueClient : client).start({
        runId: `rlw-${i}`,
        template: 'react',
        input: { task: 'count', maxSteps: 5 },
        model: 'openai:stub-model?rounds=2',
        user: 'rl-wait',
      }),
    ),
  );
  const results = await Promise.all(handles.map((h) => h.result()));
  const elapsed = Date.now() - started;
  assert.ok(results.every((r) => r.status === 'completed' && r.usage.modelCalls === 3));

  const calls = callsOf('rlw-');
  assert.equal(calls.length, 15, 'each model call reached the provider once');
  const busiest = busiestWindow(calls);
  console.log(`15 calls in ${elapsed} ms; busiest ${windowMs} ms window at the stub: ${busiest} calls`);
  assert.ok(busiest <= 3, `the stub saw ${busiest} calls within ${windowMs} ms; the limit is 3`);
  // 15 calls at 3 per window need at least 4 full windows after the first.
  assert.ok(elapsed >= 4 * windowMs, `finished in ${elapsed} ms: the limit did not hold them back`);

  const served = workers.map((w) => modelCallLogs(w).filter((l) => l.outcome === 'ok').length);
  console.log(`model calls logged per worker process: ${served.join(', ')}`);
  assert.ok(
    served.every((n) => n > 0),
    'both worker processes made model calls',
  );
  const [entry] = modelCallLogs(workers[0]).filter((l) => l.outcome === 'ok');
  assert.equal(entry.activityType, 'invokeModel');
  assert.match(String(entry.workflowId), /^rlw-/);
  assert.equal(typeof entry.durationMs, 'number');
  assert.ok(!('taskToken' in entry) && !JSON.stringify(entry).includes('sk-test'), 'no tokens or keys in logs');
  const usage = await client.usage('rl-wait');
  assert.equal(usage.day.calls, 15);
  assert.ok(usage.day.rateLimited > 0, 'the ledger refused some calls');
});

test('fail: over the limit, the run fails with RateLimited and the provider never sees the call', async () => {
  const handles = await Promise.all(
    Array.from({ length: 3 }, (_, i) =>
      client.start({
        runId: `rlf-${i}`,
        template: 'chat',
        input: { message: `hi ${i}` },
        model: 'openai:stub-model',
        user: 'rl-fail',
      }),
    ),
  );
  const outcomes = await Promise.allSettled(handles.map((h) => h.result()));
  const failed = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
  assert.equal(outcomes.filter((o) => o.status === 'fulfilled').length, 2);
  assert.equal(failed.length, 1);
  const error = failed[0].reason as AgentError;
  assert.equal(error.type, 'RateLimited');
  assert.match(
    error.message,
    /reached its rate limit of 2 model calls per 2 s; a slot frees in \d+ ms \(the policy says fail/,
  );
  assert.equal(callsOf('rlf-').length, 2);
  const failedRun = handles[outcomes.findIndex((o) => o.status === 'rejected')];
  const state = await failedRun.state();
  assert.equal(state.status, 'failed');
  assert.equal(state.error?.type, 'RateLimited');
});
