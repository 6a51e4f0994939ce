/** Replays recorded histories against today's workflow code: a nondeterministic change fails here. */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Worker } from '@temporalio/worker';
import { EventBus } from '../../worker/events/event-bus';
import { agentSinks } from '../../worker/sinks';
import { loadWorkflowBundle } from '../../worker/workflow-bundle';
import '../../testing/environment';
import { builtinCatalog } from '../../agents/catalog';
import type { RunInput } from '../../agents/run';

const dir = join(__dirname, '..', 'histories');
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .sort();

test('recorded histories exist for every scenario', () => {
  for (const scenario of [
    'chat',
    'react',
    'structured-repair',
    'output-invalid',
    'pause-resume',
    'stopped',
    'cancelled',
    'continued',
    'rate-limit-wait',
    'quota-pause',
    'react-spec',
    'structured-spec',
    'spec-changed',
    'approval',
    'fork',
    'handoff-chain',
    'sub-agents',
    'stream-retry',
    'ledger',
    'role-approval',
    'local-tools',
    'carried-commits',
  ]) {
    assert.ok(
      files.some((f) => f.endsWith(`-${scenario}.json`)),
      `no recorded history for ${scenario}`,
    );
  }
});

test('every recorded history replays without nondeterminism', async () => {
  const histories = files.map((file) => {
    const history = JSON.parse(readFileSync(join(dir, file), 'utf8'));
    return { workflowId: recordedParentId(history) ?? file, history };
  });
  // Sinks are not called on replay: replaying must publish nothing.
  const bus = new EventBus();
  let published = 0;
  bus.subscribe({}, () => void published++);
  const failures: string[] = [];
  let replayed = 0;
  for await (const result of Worker.runReplayHistories(
    { workflowBundle: await loadWorkflowBundle(), sinks: agentSinks(bus) },
    histories,
  )) {
    replayed++;
    if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
  }
  assert.equal(replayed, files.length);
  assert.deepEqual(failures, []);
  assert.equal(published, 0, 'replay published events: they would be counted twice');
});

/**
 * The id a parent of sub-agents ran under: its children's ids are derived from it (`<parent id>.<call id>`, the call
 * id without dots), so it must replay under the same id.
 */
function recordedParentId(history: { events: Record<string, any>[] }): string | undefined {
  const child = history.events.find((e) => e.startChildWorkflowExecutionInitiatedEventAttributes)
    ?.startChildWorkflowExecutionInitiatedEventAttributes.workflowId as string | undefined;
  return child?.slice(0, child.lastIndexOf('.'));
}

/** The workflow input and activity results recorded in a history file. */
function recorded(file: string): { input: RunInput; results: unknown[]; closed: string } {
  const { events } = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { events: Record<string, any>[] };
  const decode = (payload: { data: string }) => JSON.parse(Buffer.from(payload.data, 'base64').toString('utf8'));
  return {
    input: decode(events[0].workflowExecutionStartedEventAttributes.input.payloads[0]),
    results: events
      .filter((e) => e.activityTaskCompletedEventAttributes)
      .map((e) => decode(e.activityTaskCompletedEventAttributes.result.payloads[0])),
    closed: events[events.length - 1].eventType,
  };
}

test('a run recorded from a template and tool no worker offers any more replays from its recorded spec alone', () => {
  const { input, closed } = recorded('v3-spec-changed.json');
  assert.equal(closed, 'EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED');
  assert.ok(input.spec, 'the run was started with a spec');
  assert.equal(input.input, undefined, 'the spec replaces the template input');
  // What the run recorded is not what today's catalog holds: replaying it (above) cannot have consulted the catalog.
  assert.ok(!builtinCatalog.templates.some((t) => t.name === input.spec!.template), 'template gone from the catalog');
  const recordedCalculator = input.spec.tools.find((t) => t.name === 'calculator');
  const liveCalculator = builtinCatalog.tools.find((t) => t.name === 'calculator');
  assert.ok(recordedCalculator && liveCalculator);
  assert.notEqual(recordedCalculator.description, liveCalculator.description);
});

test('structured runs with a spec repair from the verdict the model-call activity recorded', () => {
  const { input, results } = recorded('v3-structured-spec.json');
  assert.ok(input.spec?.outputSchema);
  const verdicts = results.map((r) => (r as { output?: { ok: boolean } }).output?.ok);
  assert.deepEqual(verdicts, [false, true], 'invalid first answer, then the repaired one');
});

test('a fork starts from the carried state its client built and records where it came from', () => {
  const file = files.find((f) => f.endsWith('-fork.json'))!;
  const { input, results, closed } = recorded(file);
  assert.equal(closed, 'EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED');
  assert.equal(input.forkedFrom?.step, 1);
  assert.equal(input.carried?.step, 1);
  assert.equal(input.carried?.events, undefined, 'no events: the fork starts its own log');
  assert.equal(input.carried?.messages.length, 4, 'the opening messages and step 1');
  assert.ok(results.length >= 2, 'the fork made its own calls after step 1');
});

test('a run that handed over twice replays from the templates its spec recorded', () => {
  const { input, closed } = recorded('v5-handoff-chain.json');
  assert.equal(closed, 'EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED');
  assert.equal(input.spec?.template, 'triage');
  assert.deepEqual(Object.keys(input.spec?.handoffs ?? {}).sort(), ['billing', 'refunds', 'triage']);
});

test('a parent with sub-agents recorded both children started in one step, before either ended', () => {
  const { events } = JSON.parse(readFileSync(join(dir, 'v5-sub-agents.json'), 'utf8')) as {
    events: { eventType: string }[];
  };
  const at = (type: string) => events.flatMap((e, i) => (e.eventType === `EVENT_TYPE_${type}` ? [i] : []));
  const initiated = at('START_CHILD_WORKFLOW_EXECUTION_INITIATED');
  const started = at('CHILD_WORKFLOW_EXECUTION_STARTED');
  const completed = at('CHILD_WORKFLOW_EXECUTION_COMPLETED');
  assert.equal(initiated.length, 2);
  assert.equal(completed.length, 2);
  assert.ok(Math.max(...started) < Math.min(...completed), 'a child ended before the other started');
  assert.equal(events[events.length - 1].eventType, 'EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED');
});

/** Names of the signals a history file recorded, in order. */
function recordedSignals(file: string): string[] {
  const { events } = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { events: Record<string, any>[] };
  return events
    .filter((e) => e.workflowExecutionSignaledEventAttributes)
    .map((e) => e.workflowExecutionSignaledEventAttributes.signalName as string);
}

test('internal signals recorded by named handlers (token batches, failed attempts, ledger commits) replay through the default handler', () => {
  const stream = recordedSignals('v4-stream-retry.json');
  assert.ok(stream.includes('tokenDeltas'), stream.join(', '));
  assert.ok(stream.includes('modelCallFailed'), stream.join(', '));
  assert.ok(recordedSignals('v4-ledger.json').includes('commit'));
});

test("a role's approval rule replays from the model-call result that recorded it, merged with the run's own", () => {
  const { input, results } = recorded('v5-role-approval.json');
  assert.deepEqual(input.options?.approval, { tools: ['word_count'] });
  const rules = results.flatMap((r) =>
    (r as { approval?: unknown }).approval ? [(r as { approval: unknown }).approval] : [],
  );
  assert.deepEqual(rules, [{ tools: ['calc*'], timeoutSeconds: 3600 }]);
});

test('built-in tools recorded as local activities, and model calls carrying the tail, replay', () => {
  const { events } = JSON.parse(readFileSync(join(dir, 'v6-local-tools.json'), 'utf8')) as {
    events: Record<string, any>[];
  };
  const decode = (payload: { data: string }) => JSON.parse(Buffer.from(payload.data, 'base64').toString('utf8'));
  const markers = events.flatMap((e) => (e.markerRecordedEventAttributes ? [e.markerRecordedEventAttributes] : []));
  assert.equal(markers.filter((m) => m.markerName === 'core_local_activity').length, 3, 'three local tool calls');
  const modelInputs = events
    .filter((e) => e.activityTaskScheduledEventAttributes?.activityType.name === 'invokeModel')
    .map((e) => decode(e.activityTaskScheduledEventAttributes.input.payloads[0]));
  assert.equal(modelInputs.length, 4);
  assert.equal(modelInputs[0].tail, undefined);
  for (const input of modelInputs.slice(1)) assert.equal(input.tail.messages.length, 1, 'the tool result since');
  assert.ok(
    events.some((e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'pause'),
    'paused while a model call ran',
  );
});

test('model calls that leave their usage commit to the run, and the commits sent before it parks, replay', () => {
  const { events } = JSON.parse(readFileSync(join(dir, 'v7-carried-commits.json'), 'utf8')) as {
    events: Record<string, any>[];
  };
  const decode = (payload: { data: string }) => JSON.parse(Buffer.from(payload.data, 'base64').toString('utf8'));
  const results = events
    .filter((e) => e.activityTaskCompletedEventAttributes)
    .map((e) => decode(e.activityTaskCompletedEventAttributes.result.payloads[0]));
  assert.deepEqual(
    results.map((r) => (r.deferredCommit ? 'deferred' : 'sent')),
    ['deferred', 'deferred', 'deferred', 'sent'],
  );
  const localTypes = events
    .filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity')
    .map((e) => decode(e.markerRecordedEventAttributes.details.data.payloads[0]).activity_type);
  assert.deepEqual(localTypes, ['callTool', 'callTool', 'commitUsage', 'callTool']);
});

test('agentRun histories take the changes unpatched: local tools without a patch marker, children of its own type', () => {
  const read = (file: string) =>
    (JSON.parse(readFileSync(join(dir, file), 'utf8')) as { events: Record<string, any>[] }).events;
  const local = read('v8-local-tools.json');
  assert.equal(local[0].workflowExecutionStartedEventAttributes.workflowType.name, 'agentRun');
  const markers = local.flatMap((e) => (e.markerRecordedEventAttributes ? [e.markerRecordedEventAttributes] : []));
  assert.deepEqual(
    [...new Set(markers.map((m) => m.markerName))],
    ['core_local_activity'],
    'local activities, no core_patch',
  );
  assert.ok(markers.length >= 3, 'three local tool calls');
  // Paused (AgentStatus, AgentPausedAt), then resumed (AgentStatus removed); nothing as it completes.
  const upserts = local.filter((e) => e.upsertWorkflowSearchAttributesEventAttributes);
  assert.equal(upserts.length, 3);
  const lastUpsert = local.lastIndexOf(upserts[2]);
  const lastModelCall = local.map((e) => Boolean(e.activityTaskScheduledEventAttributes)).lastIndexOf(true);
  assert.ok(lastUpsert < lastModelCall, 'no upsert after the last model call');
  const team = read('v8-sub-agents.json');
  const children = team.flatMap((e) =>
    e.startChildWorkflowExecutionInitiatedEventAttributes
      ? [e.startChildWorkflowExecutionInitiatedEventAttributes.workflowType.name]
      : [],
  );
  assert.deepEqual(children, ['agentRun', 'agentRun']);
});
