/**
 * What the Temporal Web UI shows operators of a run, read the way the UI reads it: activity summaries in the run's
 * history (the timeline reads as the agent's story), and the workflow metadata query behind "Send a Signal" /
 * "Send an Update" (only the controls, each described; internal plumbing still delivered).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { defaultPayloadConverter } from '@temporalio/common';
import type { WorkflowHandle } from '@temporalio/client';
import type { RunEvent } from '../agents/events';
import { eventsQuery, tokensQuery } from '../agents/messages';
import type { AgentClient, SessionManager } from '../client';
import type { LlmStub } from '../llm-stub';
import { eventually } from '../testing/environment';
import { recordedActivities } from './helpers/history-activities';
import { agentTestbed } from './helpers/testbed';

const testbed = agentTestbed({ name: 'console', llmStub: true });
let client: AgentClient;
let sessions: SessionManager;
let stub: LlmStub;
before(async () => {
  ({ client, sessions, stub } = await testbed.start());
});
after(() => testbed.stop());

interface Definition {
  name: string;
  description?: string;
}
interface WorkflowMetadata {
  definition: { signalDefinitions: Definition[]; updateDefinitions: Definition[]; queryDefinitions: Definition[] };
}

/** What the UI's Send a Signal / Send an Update / Queries lists are made from. */
async function metadata(workflow: WorkflowHandle): Promise<WorkflowMetadata['definition']> {
  return (await workflow.query<WorkflowMetadata>('__temporal_workflow_metadata')).definition;
}

const names = (defs: Definition[]) => defs.map((d) => d.name).sort();

function assertDescribed(defs: Definition[]): void {
  for (const d of defs) assert.ok((d.description ?? '').length > 10, `${d.name} has a description`);
}

/** Summaries of the activities a run scheduled, in order, decoded as the UI decodes them. */
async function activitySummaries(workflow: WorkflowHandle): Promise<string[]> {
  return recordedActivities(await workflow.fetchHistory()).map(({ type, event }) => {
    const payload = event.userMetadata?.summary;
    assert.ok(payload, `activity ${type} has a summary`);
    return defaultPayloadConverter.fromPayload<string>(payload as never);
  });
}

test('the timeline reads as the agent story: each model call and tool call has a summary', async () => {
  const long = 'one two three four five six seven eight nine ten eleven twelve thirteen fourteen';
  const handle = await client.start({
    template: 'react',
    input: { task: `call calculator {"expression":"2*2"}\ncall word_count {"text":"${long}"}` },
    model: 'scripted:auto',
    user: 'operator',
  });
  const result = await handle.result();
  assert.match(result.answer, /Tool results: 4 \| \{"words":14,/);
  assert.deepEqual(await activitySummaries(handle.workflow), [
    'step 1 · scripted:auto',
    'calculator(2*2)',
    'step 2 · scripted:auto',
    // Arguments are clipped to 60 characters.
    `word_count(${long.slice(0, 59)}…)`,
    'step 3 · scripted:auto',
  ]);
});

test('Send a Signal and Send an Update offer a run only its controls, each described', async () => {
  const handle = await client.start({
    template: 'react',
    input: { task: 'count', maxSteps: 50 },
    model: 'scripted:auto?rounds=40&delayMs=200',
    user: 'operator',
  });
  const run = await metadata(handle.workflow);
  assert.deepEqual(names(run.signalDefinitions), ['pause', 'resume', 'stop']);
  assert.deepEqual(names(run.updateDefinitions), ['approve', 'reject']);
  assertDescribed([...run.signalDefinitions, ...run.updateDefinitions]);
  // Queries are reads, listed under Queries: state, the event log, streamed tokens, the conversation.
  const queries = names(run.queryDefinitions);
  for (const q of ['conversation', 'events', 'state', 'tokens']) assert.ok(queries.includes(q), queries.join(', '));
  assertDescribed(run.queryDefinitions.filter((q) => !q.name.startsWith('__')));
  await handle.stop();
  assert.equal((await handle.result()).status, 'stopped');

  const session = await sessions.create({ user: 'operator', model: 'scripted:auto' });
  const meta = await metadata(session.workflow);
  assert.deepEqual(names(meta.signalDefinitions), ['pause', 'resume', 'stop']);
  assert.deepEqual(names(meta.updateDefinitions), ['approve', 'close', 'reject', 'sendMessage']);
  assertDescribed([...meta.signalDefinitions, ...meta.updateDefinitions]);
  await session.close();
});

test('the user ledger offers no signals; its updates say they are internal', async () => {
  const user = `ledger-ui-${Date.now()}`;
  const run = await client.start({ template: 'chat', input: { message: 'hi' }, model: 'scripted:auto', user });
  await run.result();
  const ledger = await eventually(async () => {
    try {
      return await metadata(client.client.workflow.getHandle(`ledger-${user}`));
    } catch {
      return undefined;
    }
  }, 'the ledger workflow of the user');
  assert.deepEqual(names(ledger.signalDefinitions), []);
  assert.deepEqual(names(ledger.updateDefinitions), ['acquire', 'admit', 'admitMany', 'commitMany', 'reserve']);
  for (const u of ledger.updateDefinitions) assert.match(u.description ?? '', /^Internal/, u.name);
});

test('internal signals still arrive: streamed tokens and retried attempts of a model call', async () => {
  const runId = `console-stream-${Date.now()}`;
  stub.addFaults([{ kind: 'status', status: 503, match: { run: runId, step: 1 } }]);
  const handle = await client.start({
    runId,
    template: 'chat',
    input: { message: 'Hello there' },
    model: 'openai:stub-model',
    user: 'operator',
    options: { streamTokens: true },
  });
  const result = await handle.result();
  assert.equal(result.status, 'completed');
  // Every streamed batch reached the run (tokenDeltas): its token stream holds the whole answer.
  const tokens = await handle.workflow.query(tokensQuery, { step: 1, from: 0 });
  assert.equal(tokens.text, result.answer);
  assert.ok(result.answer.length > 0);
  // The failed first attempt was reported (modelCallFailed) and recorded as a retry event.
  const { events } = await handle.workflow.query(eventsQuery, { after: 0, limit: 100 });
  const retries = events
    .filter((e): e is RunEvent<'retry'> => e.type === 'retry')
    .map((e) => [e.data.step, e.data.attempt]);
  assert.deepEqual(retries, [[1, 1]]);
});

test('a signal of no known name is dropped; the run goes on', async () => {
  const handle = await client.start({
    template: 'react',
    input: { task: 'count', maxSteps: 5 },
    model: 'scripted:auto?rounds=3&delayMs=100',
    user: 'operator',
  });
  await handle.workflow.signal('tokenDelta', { step: 1, attempt: 1, offset: 0, text: 'x' });
  await handle.workflow.signal('Pause');
  const result = await handle.result();
  assert.deepEqual([result.status, result.steps], ['completed', 4]);
  assert.equal((await handle.state()).pauseRequested, false);
});
