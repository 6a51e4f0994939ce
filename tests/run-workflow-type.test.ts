/**
 * The two workflow types of a run (agents/run-workflow-type.ts): `agentRun`, what clients start, takes the changes
 * made before it without patches (later ones are patched in both types) and sets `AgentStatus` only for what
 * Temporal's execution status does not say; `agentRunWorkflow` runs (in flight, or started by name) keep their
 * recorded behaviour. Both list alike.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { temporal } from '@temporalio/proto';
import { Registry } from 'prom-client';
import { resolveRun } from '../agents/resolve-run';
import { legacyRunWorkflowType, runWorkflowType } from '../agents/run-workflow-type';
import { agentPausedAtKey, agentStatusKey } from '../agents/search-attributes';
import type { AgentClient, AgentRunHandle, RunState } from '../client';
import { runSearchAttributes } from '../agents/search-attributes';
import { eventually, untilCatalogPublished } from '../testing/environment';
import { registerFleetGauges } from '../worker/fleet-gauges';
import { agentTestbed } from './helpers/testbed';

const { EventType } = temporal.api.enums.v1;
const user = 'types';
/** Two calculator calls (local activities), 300 ms a model call. */
const model = 'scripted:auto?rounds=2&delayMs=300';

const testbed = agentTestbed({ name: 'run-types' });
let env: TestWorkflowEnvironment;
let client: AgentClient;
let taskQueue: string;
before(async () => {
  ({ env, client, taskQueue } = await testbed.start());
  await untilCatalogPublished(client);
});
after(() => testbed.stop());

function start(runId: string, rounds = 2): Promise<AgentRunHandle> {
  return client.start({
    runId,
    template: 'react',
    input: { task: 'count', tools: ['calculator'], maxSteps: 20 },
    model: `scripted:auto?rounds=${rounds}&delayMs=300`,
    user,
  });
}

async function historyOf(runId: string) {
  const { events } = await env.client.workflow.getHandle(runId).fetchHistory();
  return events ?? [];
}

async function markerNames(runId: string): Promise<string[]> {
  return (await historyOf(runId))
    .filter((e) => e.eventType === EventType.EVENT_TYPE_MARKER_RECORDED)
    .map((e) => e.markerRecordedEventAttributes?.markerName ?? '');
}

/** The ids of the patches the run recorded (the SDK's `core_patch` markers), in order. */
async function patchIds(runId: string): Promise<string[]> {
  return (await historyOf(runId)).flatMap((e) => {
    const attrs = e.markerRecordedEventAttributes;
    if (attrs?.markerName !== 'core_patch') return [];
    const data = attrs.details?.['patch-data']?.payloads?.[0]?.data;
    return data ? [(JSON.parse(Buffer.from(data).toString()) as { id: string }).id] : [];
  });
}

async function upsertCount(runId: string): Promise<number> {
  return (await historyOf(runId)).filter((e) => e.eventType === EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES)
    .length;
}

const statusAttribute = async (runId: string) =>
  (await env.client.workflow.getHandle(runId).describe()).typedSearchAttributes.get(agentStatusKey);

function untilListed(runId: string, status: RunState['status'], listed = true) {
  return eventually(
    async () => (await client.list({ user, status })).some((r) => r.runId === runId) === listed,
    `${runId} ${listed ? '' : 'not '}listed as ${status}`,
  );
}

test('an agentRun records no patch marker and no search-attribute upsert; it lists as running, then completed', async () => {
  const run = await start('types-plain', 4);
  const described = await run.workflow.describe();
  assert.equal(described.type, runWorkflowType);
  assert.equal(described.typedSearchAttributes.get(agentStatusKey), undefined);
  await untilListed(run.runId, 'running');
  const registry = new Registry();
  registerFleetGauges(registry, env.client);
  assert.match(await registry.getSingleMetricAsString('agent_runs_active'), /^agent_runs_active 1$/m);

  const result = await run.result();
  assert.equal(result.status, 'completed');
  const markers = await markerNames(run.runId);
  assert.ok(markers.includes('core_local_activity'), `the calculator ran as a local activity: ${markers.join(', ')}`);
  assert.ok(!markers.includes('core_patch'), `no patch marker: ${markers.join(', ')}`);
  assert.equal(await upsertCount(run.runId), 0);
  assert.equal(await statusAttribute(run.runId), undefined);
  await untilListed(run.runId, 'completed');
  await untilListed(run.runId, 'running', false);
  const [row] = (await client.list({ user })).filter((r) => r.runId === run.runId);
  assert.equal(row.status, 'completed');
});

test('a paused agentRun says so in AgentStatus and AgentPausedAt, and the status goes once it resumes', async () => {
  const run = await start('types-paused', 6);
  await eventually(async () => (await run.state()).step >= 1, 'one step');
  await run.pause();
  await eventually(async () => (await run.state()).status === 'paused', 'paused');
  assert.equal(await statusAttribute(run.runId), 'paused');
  assert.ok((await run.workflow.describe()).typedSearchAttributes.get(agentPausedAtKey) instanceof Date);
  await untilListed(run.runId, 'paused');
  await untilListed(run.runId, 'running', false);

  await run.resume();
  await eventually(async () => (await statusAttribute(run.runId)) === undefined, 'AgentStatus removed on resume');
  await untilListed(run.runId, 'running');
  assert.equal((await run.result()).status, 'completed');
  // No `paused-at-search-attribute` patch: an agentRun sets AgentPausedAt unpatched. The one patch is the carried
  // usage's commit at the park, an activity task since `usage-commit-activity` (runs before it sent a local one).
  assert.deepEqual(await patchIds(run.runId), ['usage-commit-activity']);
  await untilListed(run.runId, 'completed');
});

test('a stopped agentRun keeps AgentStatus stopped and is not listed as completed', async () => {
  const run = await start('types-stopped', 8);
  await eventually(async () => (await run.state()).step >= 1, 'one step');
  await run.stop();
  assert.equal((await run.result()).status, 'stopped');
  assert.equal(await statusAttribute(run.runId), 'stopped');
  await untilListed(run.runId, 'stopped');
  await untilListed(run.runId, 'completed', false);
});

test('an agentRunWorkflow run (started by name, as older clients did) keeps its recorded behaviour and lists alike', async () => {
  const resolution = resolveRun(
    { template: 'react', input: { task: 'count', tools: ['calculator'], maxSteps: 20 }, model, user },
    await client.catalog(),
  );
  assert.ok(resolution.ok);
  const runId = 'types-legacy';
  await env.client.workflow.start(legacyRunWorkflowType, {
    taskQueue,
    workflowId: runId,
    args: [resolution.run.input],
    // What clients set before `agentRun`: `AgentStatus` running from the start.
    typedSearchAttributes: [
      ...runSearchAttributes({ user, template: 'react', model }),
      { key: agentStatusKey, value: 'running' },
    ],
  });
  await untilListed(runId, 'running');
  const result = await client.getHandle(runId).result();
  assert.equal(result.status, 'completed');
  const markers = await markerNames(runId);
  assert.ok(markers.includes('core_patch'), `the local-tool-calls patch: ${markers.join(', ')}`);
  assert.ok(markers.includes('core_local_activity'));
  assert.equal(await statusAttribute(runId), 'completed');
  await untilListed(runId, 'completed');
  await untilListed(runId, 'running', false);
});
