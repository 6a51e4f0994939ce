/**
 * Temporal's own workflow pause (`temporal workflow pause|unpause`, server 1.30+ with
 * `frontend.WorkflowPauseEnabled`) on one of our runs: it holds the run, and after unpause the run finishes with
 * exactly the usage of an unpaused run, and its history (with the pause events) still replays.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import { temporal as temporal_ } from '@temporalio/proto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { agentSearchAttributeKeys } from '../agents/search-attributes';
import { AgentError, type AgentClient } from '../client';
import { EventBus } from '../worker/events/event-bus';
import { agentSinks } from '../worker/sinks';
import { loadWorkflowBundle } from '../worker/workflow-bundle';
import { agentClient, eventually, inProcessWorker, uniqueTaskQueue } from '../testing/environment';
import { temporalCli } from '../testing/paths';

let env: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;
let agents: AgentClient;

before(async () => {
  env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: temporalCli },
      searchAttributes: agentSearchAttributeKeys,
      extraArgs: ['--log-level', 'error', '--dynamic-config-value', 'frontend.WorkflowPauseEnabled=true'],
    },
  });
  const taskQueue = uniqueTaskQueue('tpause');
  worker = await inProcessWorker(env, taskQueue);
  running = worker.run();
  agents = agentClient(env, taskQueue);
});

after(async () => {
  worker.shutdown();
  await running;
  await env.teardown();
});

/** The operator's tool: the `temporal` CLI against the test server. */
async function temporal(...args: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)(temporalCli, [...args, '--address', env.address], { encoding: 'utf8' });
  return stdout;
}

test('temporal workflow pause and unpause hold a run and it finishes as if never paused', async () => {
  const model = 'scripted:auto?rounds=4&delayMs=600';
  const input = { task: 'count', maxSteps: 10 };
  const baseline = await (await agents.start({ template: 'react', input, model, user: 'base' })).result();

  const user = `u-${randomUUID().slice(0, 8)}`;
  const run = await agents.start({ template: 'react', input, model, user });
  await eventually(async () => (await run.state()).step >= 1, 'the first step');
  assert.match(await temporal('workflow', 'pause', '--workflow-id', run.runId, '--reason', 'maintenance'), /paused/i);

  const described = await run.workflow.describe();
  assert.equal(described.status.name, 'PAUSED');
  // Held by Temporal, the run answers no queries: a typed error says what to do.
  await assert.rejects(
    run.state(),
    (err: AgentError) => err.type === 'PausedByTemporal' && /temporal workflow unpause/.test(err.message),
  );
  // Listed as paused (its own status attribute still says running: the workflow never learnt of it).
  const listed = await eventually(
    async () => (await agents.list({ user, status: 'paused' })).find((r) => r.runId === run.runId),
    'the run listed as paused',
  );
  assert.equal(listed.status, 'paused');

  // Our resume signal is accepted but does not lift Temporal's pause.
  await run.resume();
  assert.equal((await run.workflow.describe()).status.name, 'PAUSED');

  await temporal('workflow', 'unpause', '--workflow-id', run.runId);
  const result = await run.result();
  assert.equal(result.status, 'completed');
  assert.equal(result.steps, baseline.steps);
  assert.deepEqual(result.usage, baseline.usage, 'exactly the usage of the unpaused run');
  assert.equal((await run.state()).status, 'completed');
  const final = (await agents.list({ user })).find((r) => r.runId === run.runId);
  assert.equal(final?.status, 'completed');

  // The history records the pause and still replays on today's workflow code.
  const history = await run.workflow.fetchHistory();
  const types = history.events!.map((e) => temporal_.api.enums.v1.EventType[e.eventType!]);
  for (const t of ['EVENT_TYPE_WORKFLOW_EXECUTION_PAUSED', 'EVENT_TYPE_WORKFLOW_EXECUTION_UNPAUSED'])
    assert.ok(types.includes(t), `${t} in ${types.join(', ')}`);
  await Worker.runReplayHistory(
    { workflowBundle: await loadWorkflowBundle(), sinks: agentSinks(new EventBus()) },
    history,
    run.runId,
  );
});
