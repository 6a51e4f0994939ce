/**
 * Quotas and cost accounting across two worker processes on one dev server: exact totals, no overspend
 * beyond one call in flight, a step charged once however its activity was retried or crashed, pause mode
 * resumed after the quota is raised, and `agentctl usage`.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { filePolicySource, type Policy, type PolicyInput } from '../activities/middleware/policy';
import type { Usage } from '../agents/conversation';
import { eventsQuery } from '../agents/messages';
import { AgentClient, type AgentError, type AgentRunHandle } from '../client';
import { runCli } from '../client/cli';
import { startLlmStub, type LlmStub, type LoggedRequest } from '../llm-stub';
import { eventually, inProcessWorker, startDevEnvironment, uniqueTaskQueue } from '../testing/environment';
import { projectRoot } from '../testing/paths';
import { startWorkerProcess, type WorkerProcess } from '../testing/worker-process';

const tokenLimit = 1000;
const policyFile = join(mkdtempSync(join(tmpdir(), 'agents-quota-')), 'policy.json');
const policy = (pauseTokens: number): PolicyInput => ({
  roles: {
    metered: { quota: { tokens: tokenLimit, period: 'day', onExceeded: 'fail', expectedOutputTokens: 64 } },
    pausable: { quota: { tokens: pauseTokens, period: 'day', onExceeded: 'pause', expectedOutputTokens: 64 } },
    unlimited: { quota: { usd: 100, period: 'month' } },
  },
  users: {
    'q-fail': ['metered'],
    'q-pause': ['pausable'],
    'q-crash-call': ['unlimited'],
    'q-crash-commit': ['unlimited'],
  },
  // The stub is not a priced model: give it a price so costs are checked too.
  pricing: { 'openai:stub-model': { input: 2, output: 8 } },
});

let env: TestWorkflowEnvironment;
let stub: LlmStub;
const processes: WorkerProcess[] = [];
const inProcess: { worker: Worker; running: Promise<void> }[] = [];
let workerEnv: Record<string, string>;
let client: AgentClient;

before(async () => {
  writeFileSync(policyFile, JSON.stringify(policy(150)));
  env = await startDevEnvironment();
  stub = await startLlmStub({ port: 0 });
  workerEnv = {
    TEMPORAL_ADDRESS: env.address,
    OPENAI_BASE_URL: stub.url,
    OPENAI_API_KEY: 'sk-test',
    AGENT_POLICY_FILE: policyFile,
  };
  const taskQueue = uniqueTaskQueue('quota');
  processes.push(
    ...(await Promise.all([
      startWorkerProcess({ ...workerEnv, AGENT_TASK_QUEUE: taskQueue }),
      startWorkerProcess({ ...workerEnv, AGENT_TASK_QUEUE: taskQueue }),
    ])),
  );
  client = new AgentClient(env.client, { taskQueue });
});

after(async () => {
  await Promise.all(processes.map((w) => w.kill('SIGKILL')));
  for (const w of inProcess) w.worker.shutdown();
  await Promise.all(inProcess.map((w) => w.running));
  await stub.close();
  await env.teardown();
});

const okCalls = (runId: string): LoggedRequest[] =>
  stub.requests().filter((r) => r.path === '/v1/chat/completions' && r.key.run === runId && r.outcome === 'ok');

/** The run's usage whether it completed or failed. */
async function usageOf(handle: AgentRunHandle): Promise<Usage> {
  return (await handle.state()).usage;
}

function sum(usages: Usage[]) {
  const tokens = usages.reduce((n, u) => n + u.inputTokens + u.outputTokens, 0);
  const calls = usages.reduce((n, u) => n + u.modelCalls, 0);
  const usd = Math.round(usages.reduce((n, u) => n + u.costUsd, 0) * 1e9) / 1e9;
  return { tokens, calls, usd };
}

test('quota across two workers: refused with QuotaExceeded, exact totals, no overspend beyond one call', async () => {
  const handles = await Promise.all(
    Array.from({ length: 6 }, (_, i) =>
      client.start({
        runId: `qf-${i}`,
        template: 'react',
        input: { task: 'count', maxSteps: 8 },
        model: 'openai:stub-model?rounds=3',
        user: 'q-fail',
      }),
    ),
  );
  const outcomes = await Promise.allSettled(handles.map((h) => h.result()));
  const refused = outcomes
    .filter((o): o is PromiseRejectedResult => o.status === 'rejected')
    .map((o) => o.reason as AgentError);
  assert.ok(refused.length > 0, 'some runs ran out of quota');
  assert.ok(
    refused.every(
      (e) => e.type === 'QuotaExceeded' && /reached its daily quota: \d+ of 1000 tokens used/.test(e.message),
    ),
    refused.map((e) => e.message).join('\n'),
  );

  const runs = await Promise.all(handles.map(usageOf));
  const expected = sum(runs);
  const { day } = await client.usage('q-fail');
  console.log(
    `runs: ${runs.map((u) => u.modelCalls).join(', ')} calls; ledger ${day.totalTokens} tokens, ${day.calls} calls, $${day.usd}; refused ${day.quotaRefused}`,
  );
  assert.equal(day.totalTokens, expected.tokens, 'ledger tokens equal the sum over runs');
  assert.equal(day.calls, expected.calls);
  assert.equal(day.usd, expected.usd);
  assert.ok(day.usd > 0);
  const providerCalls = handles.reduce((n, h) => n + okCalls(h.runId).length, 0);
  assert.equal(providerCalls, day.calls, 'every answered provider call was charged once');

  const perCall = await Promise.all(
    handles.map(async (h) =>
      (await h.workflow.query(eventsQuery, { after: 0 })).events.filter((e) => e.type === 'model.call'),
    ),
  );
  const largest = Math.max(
    ...perCall
      .flat()
      .map(
        (e) =>
          (e.data as { inputTokens: number; outputTokens: number }).inputTokens +
          (e.data as { outputTokens: number }).outputTokens,
      ),
  );
  assert.ok(
    day.totalTokens <= tokenLimit + largest,
    `spent ${day.totalTokens} of ${tokenLimit}; one call is at most ${largest}`,
  );
  assert.ok(day.totalTokens > tokenLimit - 2 * largest, `stopped early at ${day.totalTokens}`);
});

test('a crash between the model call and the accounting, or after it: the step is charged once', async () => {
  const scenarios = [
    { user: 'q-crash-call', runId: 'crash-after-call', point: 'after-call', step: 2 },
    { user: 'q-crash-commit', runId: 'crash-after-commit', point: 'after-commit', step: 3 },
  ];
  await Promise.all(
    scenarios.map(async ({ user, runId, point, step }) => {
      const taskQueue = uniqueTaskQueue(point);
      const crashing = await startWorkerProcess(
        { ...workerEnv, AGENT_TASK_QUEUE: taskQueue, CRASH_RUN: runId, CRASH_STEP: String(step), CRASH_POINT: point },
        60_000,
        join(projectRoot, 'tests', 'fixtures', 'crash-worker.ts'),
      );
      processes.push(crashing);
      const runs = new AgentClient(env.client, { taskQueue });
      const handle = await runs.start({
        runId,
        template: 'react',
        input: { task: 'count', maxSteps: 8 },
        model: 'openai:stub-model?rounds=3',
        user,
      });
      await eventually(async () => crashing.child.signalCode === 'SIGKILL', `the ${point} crash`, 30_000);
      assert.match(crashing.output(), new RegExp(`crash-worker: SIGKILL ${point} for ${runId}#${step}`));
      assert.equal(
        okCalls(runId).filter((r) => r.key.step === step).length,
        1,
        'the provider answered before the crash',
      );

      // A healthy worker takes over once the heartbeat timeout shows the attempt is lost.
      const worker = await inProcessWorker(
        env,
        taskQueue,
        { OPENAI_BASE_URL: stub.url },
        { policy: filePolicySource(policyFile) },
      );
      inProcess.push({ worker, running: worker.run() });
      const result = await handle.result();
      assert.equal(result.status, 'completed');

      const calls = okCalls(runId);
      assert.deepEqual(
        calls.filter((r) => r.key.step === step).map((r) => r.key.attempt),
        [1, 2],
        'the crashed step was called again',
      );
      const { day } = await runs.usage(user);
      console.log(
        `${point}: provider answered ${calls.length} calls; run and ledger charged ${result.usage.modelCalls} / ${day.calls}`,
      );
      assert.equal(day.calls, 4, 'four steps charged, not five');
      assert.equal(day.totalTokens, result.usage.inputTokens + result.usage.outputTokens);
      assert.equal(day.usd, result.usage.costUsd);
    }),
  );
});

test('pause mode: the run pauses with the quota error, and resumes after the quota is raised', async () => {
  // A worker of its own reads the policy file on every call (interval 0), so the raised quota is in force for the
  // resumed call without waiting for a check interval; onReload tells the test the file was reloaded.
  const reloads: Policy[] = [];
  const taskQueue = uniqueTaskQueue('quota-pause');
  const policySource = filePolicySource(policyFile, { checkIntervalMs: 0, onReload: (p) => reloads.push(p) });
  const worker = await inProcessWorker(env, taskQueue, { OPENAI_BASE_URL: stub.url }, { policy: policySource });
  inProcess.push({ worker, running: worker.run() });
  const handle = await new AgentClient(env.client, { taskQueue }).start({
    runId: 'quota-pause',
    template: 'react',
    input: { task: 'count', maxSteps: 8 },
    model: 'openai:stub-model?rounds=3',
    user: 'q-pause',
  });
  const paused = await eventually(async () => {
    const s = await handle.state();
    return s.status === 'paused' && s;
  }, 'paused by the quota');
  assert.equal(paused.error?.type, 'QuotaExceeded');
  assert.match(paused.error!.message, /reached its daily quota: \d+ of 150 tokens used/);
  assert.ok(paused.step >= 1 && paused.step < 4);

  writeFileSync(policyFile, JSON.stringify(policy(100_000)));
  await handle.resume();
  const result = await handle.result();
  assert.equal(result.status, 'completed');
  assert.equal(reloads.at(-1)?.roles.pausable?.quota?.tokens, 100_000, 'the raised quota was reloaded');
  assert.equal(result.steps, 4);
  assert.equal((await handle.state()).error, undefined);

  const out: string[] = [];
  const io = {
    stdout: { write: (s: string) => out.push(s) },
    stderr: { write: (s: string) => out.push(s) },
    env: { TEMPORAL_ADDRESS: env.address },
  };
  assert.equal(await runCli(['usage', '--user', 'q-pause', '--json'], io), 0, out.join(''));
  const usage = JSON.parse(out.join(''));
  assert.equal(usage.day.totalTokens, result.usage.inputTokens + result.usage.outputTokens);
  assert.equal(usage.day.calls, 4);
  assert.equal(usage.day.quotaRefused, 1);
  out.length = 0;
  assert.equal(await runCli(['usage', '--user', 'q-pause'], io), 0);
  assert.match(
    out.join(''),
    /^usage of q-pause as of .*\nhour:\S+\s+4 model call\(s\), \d+ tokens .*\$[\d.]+; 1 refused by quota\n {2}openai:stub-model: 4 call\(s\)/,
  );
});
