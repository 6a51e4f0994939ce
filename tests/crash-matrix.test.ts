/**
 * Crash matrix: a worker SIGKILLed at every point of a step (before, during and after the model call, around
 * the quota's reserve and commit, in and after a tool call), each point several times, and one of two workers
 * SIGKILLed under load. Every run completes, no finished model call is made again (only attempts Temporal
 * abandoned may have been answered too), and the users' ledger totals equal the sum of their runs' usage.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { PolicyInput } from '../activities/middleware/policy';
import { AgentClient, type AgentRunHandle } from '../client';
import { startLlmStub, type LlmStub } from '../llm-stub';
import type { FiredCrash, PlannedCrash } from './fixtures/crash-matrix-worker';
import { freshWorkflowBundle } from '../testing/bundle';
import { eventually, startDevEnvironment, uniqueTaskQueue } from '../testing/environment';
import { projectRoot } from '../testing/paths';
import { sigkillWorker, superviseWorker, type SupervisedWorker } from '../testing/processes';
import { checkRepeats, recordedModelCalls, type RecordedModelCall } from './helpers/repeated-calls';
import { startWorkerProcess, type WorkerProcess } from '../testing/worker-process';

/** A quota every run stays far below: it makes the quota middleware reserve and commit on every call. */
const policy: PolicyInput = {
  roles: { metered: { quota: { usd: 1000, period: 'day', expectedOutputTokens: 64 } } },
  defaultRoles: ['metered'],
  pricing: { 'openai:stub-model': { input: 2, output: 8 } },
};

let env: TestWorkflowEnvironment;
let stub: LlmStub;
let workerEnv: Record<string, string>;
const supervised: SupervisedWorker[] = [];
const processes: WorkerProcess[] = [];
/** Worker start-up is slow on a busy 2-core machine. */
const startTimeoutMs = 180_000;

before(async () => {
  env = await startDevEnvironment();
  stub = await startLlmStub({ port: 0 });
  workerEnv = {
    TEMPORAL_ADDRESS: env.address,
    OPENAI_BASE_URL: stub.url,
    OPENAI_API_KEY: 'sk-test',
    AGENT_POLICY: JSON.stringify(policy),
    WORKFLOW_BUNDLE: await freshWorkflowBundle(),
  };
});

after(async () => {
  await Promise.all(supervised.map((s) => s.stop()));
  await Promise.all(processes.map(sigkillWorker));
  await stub.close();
  await env.teardown();
});

/** The ledger's totals for `user` today equal the sum of the runs' usage, and nothing is left reserved. */
async function assertLedgerExact(client: AgentClient, user: string, handles: AgentRunHandle[]): Promise<void> {
  const usages = await Promise.all(handles.map(async (h) => (await h.state()).usage));
  const tokens = usages.reduce((n, u) => n + u.inputTokens + u.outputTokens, 0);
  const calls = usages.reduce((n, u) => n + u.modelCalls, 0);
  const usd = Math.round(usages.reduce((n, u) => n + u.costUsd, 0) * 1e9) / 1e9;
  const { day, pending } = await client.usage(user);
  assert.deepEqual(
    { tokens: day.totalTokens, calls: day.calls, usd: day.usd },
    { tokens, calls, usd },
    `ledger of ${user}`,
  );
  assert.equal(pending.calls, 0, `${user}: reservations left behind`);
}

/** Run id → [crash point, steps it fires at]; each run has 5 steps (4 tool calls) and a user of its own. */
const modelScenarios: Record<string, [PlannedCrash['point'], number[]]> = {
  'cm-before-call': ['before-call', [1, 4]],
  'cm-after-reserve': ['after-reserve', [2, 4]],
  'cm-during-call': ['during-call', [1, 4]],
  'cm-after-call': ['after-call', [2, 5]],
  'cm-after-commit': ['after-commit', [1, 3]],
};
/** A tool call lost to a kill is retried after its 10 s heartbeat timeout. */
const toolScenarios: Record<string, [PlannedCrash['point'], number[]]> = {
  'cm-in-tool-a': ['in-tool', [2]],
  'cm-in-tool-b': ['in-tool', [4]],
  'cm-after-tool-a': ['after-tool', [1]],
  'cm-after-tool-b': ['after-tool', [3]],
};
const planOf = (scenarios: Record<string, [PlannedCrash['point'], number[]]>): PlannedCrash[] =>
  Object.entries(scenarios).flatMap(([run, [point, steps]]) => steps.map((step) => ({ run, step, point })));

test('SIGKILL at each point of a step, repeatedly: runs complete, finished calls are not repeated, usage is exact', async () => {
  const markers = mkdtempSync(join(tmpdir(), 'crash-markers-'));
  const scenarios = { ...modelScenarios, ...toolScenarios };
  const plan = planOf(scenarios);
  // The during-call kill lands 300 ms into a call the stub holds for 3 s: every attempt, as other kills may cut the first ones short.
  stub.addFaults(
    plan
      .filter((p) => p.point === 'during-call')
      .map((p) => ({ kind: 'delay', ms: 3000, times: 10, match: { run: p.run, step: p.step } })),
  );
  // Two workers with the same plan: whichever runs a planned call dies there, the other carries on at once.
  const taskQueue = uniqueTaskQueue('crash-matrix');
  const workers = [0, 1].map(() =>
    superviseWorker(
      { ...workerEnv, AGENT_TASK_QUEUE: taskQueue, CRASH_PLAN: JSON.stringify(plan), CRASH_MARKERS: markers },
      startTimeoutMs,
      join(projectRoot, 'tests', 'fixtures', 'crash-matrix-worker.ts'),
    ),
  );
  supervised.push(...workers);
  const client = new AgentClient(env.client, { taskQueue });
  const handles = await Promise.all(
    Object.keys(scenarios).map((runId) =>
      client.start({
        runId,
        template: 'react',
        input: { task: 'count', maxSteps: 8 },
        model: 'openai:stub-model?rounds=4',
        user: runId,
      }),
    ),
  );
  const results = await Promise.all(handles.map((h) => h.result()));

  const fired: FiredCrash[] = readdirSync(markers).map((f) => JSON.parse(readFileSync(join(markers, f), 'utf8')));
  console.log(
    `${fired.length} planned crashes fired; the two workers died ${workers.map((w) => w.deaths).join(' + ')} times`,
  );
  assert.deepEqual(
    fired.map((f) => `${f.run}#${f.step}#${f.point}`).sort(),
    plan.map((p) => `${p.run}#${p.step}#${p.point}`).sort(),
    'every planned crash fired',
  );
  assert.equal(
    workers[0].deaths + workers[1].deaths,
    plan.length,
    'workers died once per planned crash, and only then',
  );
  for (const r of results)
    assert.deepEqual([r.status, r.steps, r.usage.modelCalls, r.usage.toolCalls], ['completed', 5, 5, 4], r.runId);

  const recorded = await recordedModelCalls(handles.map((h) => h.workflow));
  const report = checkRepeats(stub.requests(), recorded);
  const retried = [...recorded.values()].filter((c) => c.finalAttempt > 1).length;
  console.log(
    `answered calls per step: ${JSON.stringify(Object.fromEntries(report.answered))}; ${retried} of ${recorded.size} model calls retried by Temporal`,
  );
  assert.deepEqual(
    report.unexplained,
    [],
    `finished model calls made again: ${describeRepeats(report.unexplained, recorded)}`,
  );
  assert.deepEqual(report.missing, []);
  // A crash after the provider answered makes that call again (the only repeat allowed); the others do not.
  for (const { run, step, point } of plan.filter((p) => p.point === 'after-call' || p.point === 'after-commit')) {
    assert.ok(report.answered.get(`${run}#${step}`)! >= 2, `${point} at ${run}#${step} was answered before the kill`);
  }
  const cut = stub
    .requests()
    .filter((r) => r.key.run === 'cm-during-call' && r.outcome === 'client-closed')
    .map((r) => r.key.step);
  assert.ok(
    [1, 4].every((step) => cut.includes(step)),
    `the calls cut by the during-call kills: ${cut}`,
  );
  for (const h of handles) await assertLedgerExact(client, h.runId, [h]);
});

/** The stub's log of each unexplained step and what Temporal recorded of it, for the failure message. */
function describeRepeats(keys: string[], recorded: Map<string, RecordedModelCall>): string {
  const requests = stub.requests().filter((r) => keys.includes(`${r.key.run}#${r.key.step}`));
  const calls = requests.map(
    (r) => `${r.key.run}#${r.key.step} attempt ${r.key.attempt} at ${r.time} ${r.outcome} ${r.durationMs} ms`,
  );
  return JSON.stringify({ calls, recorded: keys.map((key) => ({ key, ...recorded.get(key) })) }, null, 1);
}

test('two workers, one SIGKILLed under load: all 20 runs complete, nothing charged twice', async () => {
  const taskQueue = uniqueTaskQueue('crash-load');
  const [victim, survivor] = await Promise.all(
    [0, 1].map(() => startWorkerProcess({ ...workerEnv, AGENT_TASK_QUEUE: taskQueue }, startTimeoutMs)),
  );
  processes.push(victim, survivor);
  const client = new AgentClient(env.client, { taskQueue });
  const users = ['load-0', 'load-1', 'load-2', 'load-3'];
  const runIds = Array.from({ length: 20 }, (_, i) => `cm-load-${i}`);
  // Every model call takes 1 s at the stub, so a kill finds calls in flight.
  stub.addFaults(runIds.map((run) => ({ kind: 'delay', ms: 1000, times: 100, match: { run } })));
  const handles = await Promise.all(
    runIds.map((runId, i) =>
      client.start({
        runId,
        template: 'react',
        input: { task: 'count', maxSteps: 10 },
        model: 'openai:stub-model?rounds=5',
        user: users[i % users.length],
      }),
    ),
  );
  const count = (outcome: string) =>
    stub.requests().filter((r) => r.key.run?.startsWith('cm-load-') && r.outcome === outcome).length;
  await eventually(
    async () => count('ok') >= 30 && count('pending') >= 6,
    '30 of 120 model calls answered and 6 in flight',
    120_000,
  );
  const answeredAtKill = count('ok');
  const inFlight = count('pending');
  await sigkillWorker(victim);

  const results = await Promise.all(handles.map((h) => h.result()));
  for (const r of results) assert.deepEqual([r.status, r.steps, r.usage.modelCalls], ['completed', 6, 6], r.runId);
  const recorded = await recordedModelCalls(handles.map((h) => h.workflow));
  const report = checkRepeats(stub.requests(), recorded);
  const cut = count('client-closed');
  console.log(
    `kill after ${answeredAtKill} of 120 answers: ${inFlight} calls at the stub (both workers), ${cut} cut, ${report.repeated.length} answered twice (${report.repeated.join(', ')})`,
  );
  assert.deepEqual(
    report.unexplained,
    [],
    `finished model calls made again: ${describeRepeats(report.unexplained, recorded)}`,
  );
  assert.deepEqual(report.missing, []);
  assert.equal(survivor.child.exitCode, null, 'the survivor keeps running');
  for (const user of users)
    await assertLedgerExact(
      client,
      user,
      handles.filter((_, i) => users[i % users.length] === user),
    );
});
