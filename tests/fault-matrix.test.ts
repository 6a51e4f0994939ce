/**
 * The fault table, end to end through a worker process: each stub fault maps to a retry with backoff or to a
 * typed, non-retried failure, and the outcome is visible in the run's state, in its durable events (`retry`,
 * `model.call`, `run.failed`) and in the worker's metrics. tests/model-errors.test.ts checks the attempts
 * and answers of most of these; this file adds streaming faults, tool-call shapes and the three views.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { RunEvent } from '../agents/events';
import type { RunOptions } from '../agents/run';
import { AgentClient, followEvents, followTokens, type AgentRunHandle, type TokenChunk } from '../client';
import { startLlmStub, type Fault, type LlmStub } from '../llm-stub';
import { freshWorkflowBundle } from '../testing/bundle';
import { portForAnotherProcess } from '../testing/dev-server';
import { eventually, startDevEnvironment, uniqueTaskQueue } from '../testing/environment';
import { metricSum, sigkillWorker } from '../testing/processes';
import { startWorkerProcess, type WorkerProcess } from '../testing/worker-process';

let env: TestWorkflowEnvironment;
let stub: LlmStub;
let worker: WorkerProcess;
let metricsPort: number;
let client: AgentClient;

before(async () => {
  env = await startDevEnvironment();
  stub = await startLlmStub({ port: 0 });
  metricsPort = await portForAnotherProcess();
  const taskQueue = uniqueTaskQueue('fault-matrix');
  worker = await startWorkerProcess(
    {
      TEMPORAL_ADDRESS: env.address,
      AGENT_TASK_QUEUE: taskQueue,
      OPENAI_BASE_URL: stub.url,
      OPENAI_API_KEY: 'sk-test',
      METRICS_PORT: String(metricsPort),
      METRICS_HOST: '127.0.0.1',
      WORKFLOW_BUNDLE: await freshWorkflowBundle(),
    },
    180_000,
  );
  client = new AgentClient(env.client, { taskQueue });
});

after(async () => {
  await sigkillWorker(worker);
  await stub.close();
  await env.teardown();
});

interface FaultCase {
  name: string;
  /** Applied to the first model call (step 1). */
  faults: Fault[];
  template?: 'react' | 'chat';
  options?: RunOptions;
  /** Error type of each failed attempt, or of the run's failure. */
  errorType?: string;
  /** Failed attempts before the call went through; with `fails`, attempts made. */
  failedAttempts: number;
  /** The run fails with `errorType`, not retried. */
  fails?: boolean;
}

const cases: FaultCase[] = [
  {
    name: '429 with Retry-After',
    faults: [{ kind: 'status', status: 429, retryAfterSeconds: 1 }],
    errorType: 'ModelRateLimited',
    failedAttempts: 1,
  },
  { name: '500', faults: [{ kind: 'status', status: 500 }], errorType: 'ModelUnavailable', failedAttempts: 1 },
  {
    name: '503 twice',
    faults: [{ kind: 'status', status: 503, times: 2 }],
    errorType: 'ModelUnavailable',
    failedAttempts: 2,
  },
  {
    name: 'slow answer within the timeout',
    faults: [{ kind: 'delay', ms: 1500 }],
    options: { modelTimeoutSeconds: 5 },
    failedAttempts: 0,
  },
  {
    name: 'no answer before the timeout',
    faults: [{ kind: 'hang' }],
    options: { modelTimeoutSeconds: 2 },
    errorType: 'ModelUnavailable',
    failedAttempts: 1,
  },
  { name: 'connection reset', faults: [{ kind: 'reset' }], errorType: 'ModelUnavailable', failedAttempts: 1 },
  {
    name: 'reset mid-stream',
    template: 'chat',
    faults: [{ kind: 'reset', afterChunks: 2 }],
    options: { streamTokens: true },
    errorType: 'ModelUnavailable',
    failedAttempts: 1,
  },
  { name: 'malformed JSON', faults: [{ kind: 'malformed-json' }], errorType: 'ModelOutputInvalid', failedAttempts: 1 },
  {
    name: 'malformed stream event',
    template: 'chat',
    faults: [{ kind: 'malformed-json' }],
    options: { streamTokens: true },
    errorType: 'ModelOutputInvalid',
    failedAttempts: 1,
  },
  {
    name: 'tool call with unparseable arguments',
    faults: [{ kind: 'bad-tool-call', variant: 'invalid-json' }],
    errorType: 'ModelOutputInvalid',
    failedAttempts: 1,
  },
  {
    name: 'tool call whose arguments are an array',
    faults: [{ kind: 'bad-tool-call', variant: 'not-object' }],
    errorType: 'ModelOutputInvalid',
    failedAttempts: 1,
  },
  {
    name: '401',
    faults: [{ kind: 'status', status: 401 }],
    errorType: 'ModelRejected',
    failedAttempts: 1,
    fails: true,
  },
  {
    name: '429 insufficient_quota',
    faults: [{ kind: 'status', status: 429, type: 'insufficient_quota', code: 'insufficient_quota' }],
    errorType: 'ModelRejected',
    failedAttempts: 1,
    fails: true,
  },
];

async function eventsOf(handle: AgentRunHandle): Promise<RunEvent[]> {
  const events: RunEvent[] = [];
  for await (const event of followEvents(handle.workflow)) events.push(event);
  return events;
}

/** The worker counters a fault moves, read from `/metrics`. */
async function counters(errorType = 'none') {
  const [errors, typed, retries, failedRuns] = await Promise.all([
    metricSum(metricsPort, 'agent_model_calls_total', { outcome: 'error' }),
    metricSum(metricsPort, 'agent_model_call_errors_total', { error_type: errorType }),
    metricSum(metricsPort, 'agent_activity_retries_total', { activity: 'invokeModel' }),
    metricSum(metricsPort, 'agent_runs_total', { outcome: 'failed' }),
  ]);
  return { errors, typed, retries, failedRuns };
}

for (const c of cases) {
  test(`${c.name}: ${c.fails ? `fails with ${c.errorType}, not retried` : c.failedAttempts ? `retried after ${c.errorType}, completes` : 'completes'}; seen in state, events and metrics`, async () => {
    const runId = `fm-${c.name.replace(/\W+/g, '-')}`;
    stub.addFaults(c.faults.map((f) => ({ ...f, match: { run: runId, step: 1 } }) as Fault));
    const before = await counters(c.errorType);
    const template = c.template ?? 'react';
    const input = template === 'chat' ? { message: 'tell me a story' } : { task: 'What is 2 + 3?' };
    const handle = await client.start({
      runId,
      template,
      input,
      model: 'openai:stub-model',
      user: 'faults',
      options: c.options,
    });
    const tokens: TokenChunk[] = [];
    const reading = c.options?.streamTokens
      ? (async () => {
          for await (const t of followTokens(handle.workflow, { pollMs: 50 })) tokens.push(t);
        })()
      : undefined;

    const outcome = await handle.result().then(
      (r) => r,
      (err: { type?: string }) => err,
    );
    await reading;
    const state = await handle.state();
    const events = await eventsOf(handle);
    const attempts = stub.requests().filter((r) => r.key.run === runId && r.key.step === 1);
    assert.equal(attempts.length, c.failedAttempts + (c.fails ? 0 : 1), 'provider calls of step 1');
    if (c.fails) {
      assert.equal((outcome as { type?: string }).type, c.errorType);
      assert.deepEqual([state.status, state.error?.type], ['failed', c.errorType]);
      const failed = events.find((e): e is RunEvent<'run.failed'> => e.type === 'run.failed');
      assert.equal(failed?.data.errorType, c.errorType, 'run.failed event');
      assert.equal(
        events.filter((e) => e.type === 'retry').length,
        0,
        'no retry event for a failure that is not retried',
      );
    } else {
      assert.equal((outcome as { status?: string }).status, 'completed', JSON.stringify(outcome));
      assert.deepEqual([state.status, state.error], ['completed', undefined]);
      const retries = events.filter((e): e is RunEvent<'retry'> => e.type === 'retry');
      assert.deepEqual(
        retries.map((e) => [e.data.step, e.data.attempt, e.data.errorType]),
        Array.from({ length: c.failedAttempts }, (_, i) => [1, i + 1, c.errorType]),
        'retry events',
      );
      const call = events.findIndex((e) => e.type === 'model.call');
      assert.ok(
        retries.every((r) => events.indexOf(r) < call),
        'the retries come before the model.call they led to',
      );
      if (c.faults[0].kind === 'status' && c.faults[0].retryAfterSeconds)
        assert.equal(retries[0].data.waitMs, 1000, 'the wait is Retry-After');
      if (c.faults[0].kind === 'delay')
        assert.ok((events[call] as RunEvent<'model.call'>).data.durationMs >= 1500, 'model.call shows the slow answer');
    }
    if (reading) {
      // A retried stream starts over: the reader sees attempt 1 cut short, then attempt 2 whole.
      const done = tokens.filter((t) => t.done);
      assert.ok(
        done.length >= 1 && done.at(-1)!.attempt === 2,
        `streams seen: ${JSON.stringify(tokens.map((t) => [t.attempt, t.text.length, t.done]))}`,
      );
      const text = tokens
        .filter((t) => t.attempt === 2)
        .map((t) => t.text)
        .join('');
      assert.equal(text, state.status === 'completed' ? (outcome as { answer: string }).answer : text);
    }
    const expected = {
      errors: c.failedAttempts,
      typed: c.failedAttempts,
      retries: c.fails ? 0 : c.failedAttempts,
      failedRuns: c.fails ? 1 : 0,
    };
    await eventually(
      async () => {
        const now = await counters(c.errorType);
        const delta = {
          errors: now.errors - before.errors,
          typed: now.typed - before.typed,
          retries: now.retries - before.retries,
          failedRuns: now.failedRuns - before.failedRuns,
        };
        assert.deepEqual(delta, expected);
        return true;
      },
      'metrics to count the fault',
      10_000,
    );
  });
}
