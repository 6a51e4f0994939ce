/** /metrics, /healthz and /readyz of a worker process: values match what the runs did; names pass promtool. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, test } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { AgentClient, type RunResult } from '../client';
import { portForAnotherProcess } from '../testing/dev-server';
import { eventually, startDevEnvironment, uniqueTaskQueue } from '../testing/environment';
import { startWorkerProcess, type WorkerProcess } from '../testing/worker-process';

let env: TestWorkflowEnvironment;
let worker: WorkerProcess;
let client: AgentClient;
let base: string;

before(async () => {
  env = await startDevEnvironment();
  const taskQueue = uniqueTaskQueue('metrics');
  const port = await portForAnotherProcess();
  base = `http://127.0.0.1:${port}`;
  worker = await startWorkerProcess({
    TEMPORAL_ADDRESS: env.address,
    AGENT_TASK_QUEUE: taskQueue,
    METRICS_PORT: String(port),
    METRICS_HOST: '127.0.0.1',
  });
  client = new AgentClient(env.client, { taskQueue });
});

after(async () => {
  await worker.kill('SIGTERM');
  await env.teardown();
});

/** The value of one sample, e.g. sample(text, 'agent_runs_total', { template: 'react', outcome: 'completed' }). */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  let total = 0;
  let found = false;
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const have = (match[2] ?? '').split(/,(?=[a-zA-Z_]+=")/);
    if (wanted.every((w) => have.includes(w))) {
      total += Number(match[3]);
      found = true;
    }
  }
  assert.ok(found, `no sample ${name}{${wanted}}`);
  return total;
}

test('health and readiness', async () => {
  assert.equal((await fetch(`${base}/healthz`)).status, 200);
  assert.equal((await fetch(`${base}/readyz`)).status, 200);
});

test('metrics match the runs, and pass promtool check metrics', async () => {
  const results: RunResult[] = [];
  for (let i = 0; i < 2; i++)
    results.push(
      await (
        await client.start({ template: 'react', input: { task: 'What is 6 * 7?' }, user: 'm', model: 'scripted:auto' })
      ).result(),
    );
  results.push(
    await (
      await client.start({ template: 'chat', input: { message: 'hi' }, user: 'm', model: 'scripted:auto' })
    ).result(),
  );
  const failing = await client.start({
    template: 'structured',
    input: { prompt: 'n', schema: { type: 'integer', maximum: 1 } },
    user: 'm',
    model: 'scripted:auto',
  });
  await assert.rejects(failing.result());
  // Calls of 1.5 s: the stop cancels the second one before it can finish.
  const stopped = await client.start({
    template: 'react',
    input: { task: 'count', maxSteps: 20 },
    user: 'm',
    model: 'scripted:auto?rounds=10&delayMs=1500',
  });
  await eventually(async () => (await stopped.state()).step >= 1, 'a step');
  await stopped.stop();
  results.push(await stopped.result());
  const paused = await client.start({
    template: 'react',
    input: { task: 'count', maxSteps: 20 },
    user: 'm',
    model: 'scripted:auto?rounds=10&delayMs=200',
  });
  await paused.pause();
  await eventually(async () => (await paused.state()).status === 'paused', 'paused');

  const text = await eventually(
    async () => {
      const body = await (await fetch(`${base}/metrics`)).text();
      // Visibility is eventually consistent; wait until it shows the paused run.
      return /^agent_runs_paused 1$/m.test(body) ? body : undefined;
    },
    'metrics with the paused run',
    30_000,
  );

  assert.equal(sample(text, 'agent_runs_total', { template: 'react', outcome: 'completed' }), 2);
  assert.equal(sample(text, 'agent_runs_total', { template: 'chat', outcome: 'completed' }), 1);
  assert.equal(sample(text, 'agent_runs_total', { template: 'structured', outcome: 'failed' }), 1);
  assert.equal(sample(text, 'agent_runs_total', { template: 'react', outcome: 'stopped' }), 1);
  assert.equal(sample(text, 'agent_run_duration_seconds_count', { template: 'react' }), 3);
  assert.equal(sample(text, 'agent_runs_paused'), 1);
  assert.ok(sample(text, 'agent_paused_run_age_seconds') > 0);

  const pausedUsage = (await paused.state()).usage;
  const sum = (pick: (r: RunResult) => number) => results.reduce((total, r) => total + pick(r), 0);
  // The failed structured run made 2 calls (answer and repair); the stopped run's call in flight was cancelled.
  const okCalls = sum((r) => r.usage.modelCalls) + 2 + pausedUsage.modelCalls;
  assert.equal(sample(text, 'agent_model_calls_total', { outcome: 'ok' }), okCalls);
  const scriptedInput = results.slice(0, 3).reduce((total, r) => total + r.usage.inputTokens, 0);
  assert.ok(sample(text, 'agent_tokens_total', { model: 'scripted:auto', kind: 'input' }) >= scriptedInput);
  assert.equal(
    sample(text, 'agent_tool_calls_total', { tool: 'calculator', outcome: 'ok' }),
    sum((r) => r.usage.toolCalls) + pausedUsage.toolCalls,
  );
  assert.equal(sample(text, 'agent_steps_total', { template: 'react' }) >= 4, true);
  assert.ok(sample(text, 'agent_run_transitions_total', { transition: 'paused' }) >= 1);
  // Each middleware layer's own time is measured for every model call attempt, cancelled ones too.
  assert.equal(
    sample(text, 'agent_middleware_duration_seconds_count', { middleware: 'auth', hook: 'model' }),
    sample(text, 'agent_model_calls_total'),
  );
  // The Temporal SDK's own worker metrics are served too.
  assert.match(text, /^temporal_\w+/m);

  const ours = text
    .split('\n')
    .filter((line) => !/^(# (HELP|TYPE) )?temporal_/.test(line))
    .join('\n');
  execFileSync('promtool', ['check', 'metrics'], { input: ours });
  await paused.cancel();
});

test('approval decisions are counted by decision and who decided', async () => {
  const start = (timeoutSeconds?: number) =>
    client.start({
      template: 'react',
      input: { task: 'call calculator {"expression":"1+1"}' },
      user: 'm',
      model: 'scripted:auto',
      options: { approval: { tools: ['calculator'], timeoutSeconds } },
    });
  const rejected = await start();
  await eventually(async () => (await rejected.state()).status === 'awaiting_approval', 'awaiting approval');
  await rejected.reject(undefined, 'no');
  await rejected.result();
  await (await start(1)).result();
  const text = await eventually(async () => {
    const body = await (await fetch(`${base}/metrics`)).text();
    return /^agent_approvals_total\{decision="rejected",by="timeout"\} 1$/m.test(body) ? body : undefined;
  }, 'metrics with the timed-out decision');
  assert.equal(sample(text, 'agent_approvals_total', { decision: 'rejected', by: 'person' }), 1);
  assert.doesNotMatch(text, /^agent_approvals_total\{decision="approved"/m, 'nothing was approved');
});
