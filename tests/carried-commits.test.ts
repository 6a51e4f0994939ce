/**
 * Carried usage commits, through the real stack (dev server, worker, the OpenAI-compatible stub behind
 * `@langchain/openai`): with no quota to hold, a run's model calls reach the user's ledger in one signal, sent by
 * the call that answers; a run that parks, fails or stops first sends what it carries (an activity), so the
 * ledger's totals are the runs' own, each call once.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { CommitInput } from '../agents/ledger';
import { ledgerWorkflowId } from '../agents/ledger';
import type { Usage } from '../agents/conversation';
import type { AgentClient } from '../client';
import type { LlmStub } from '../llm-stub';
import { eventually } from '../testing/environment';
import { recordedActivities } from './helpers/history-activities';
import { agentTestbed } from './helpers/testbed';

const testbed = agentTestbed({ name: 'carried-commits', llmStub: true });
let env: TestWorkflowEnvironment;
let client: AgentClient;
let stub: LlmStub;

before(async () => {
  ({ env, client, stub } = await testbed.start());
});
after(() => testbed.stop());

const EventType = temporal.api.enums.v1.EventType;

/** The job of the benchmarks: two calculator calls, then the answer (3 model calls). */
function start(runId: string, user: string, rounds = 2) {
  return client.start({
    runId,
    template: 'react',
    input: { task: 'Count with the calculator, then answer.', tools: ['calculator'] },
    model: `openai:stub-model?rounds=${rounds}`,
    user,
  });
}

/** The commit messages the user's ledger got, in order: signal name and the keys each carried. */
async function ledgerMessages(user: string): Promise<{ name: string; keys: string[] }[]> {
  const history = await env.client.workflow.getHandle(ledgerWorkflowId(user)).fetchHistory();
  const messages: { name: string; keys: string[] }[] = [];
  for (const event of history.events ?? []) {
    if (event.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED) {
      const { signalName, input } = event.workflowExecutionSignaledEventAttributes!;
      const arg = JSON.parse(Buffer.from(input!.payloads![0].data!).toString()) as
        CommitInput | { items: CommitInput[] };
      messages.push({ name: signalName!, keys: 'items' in arg ? arg.items.map((i) => i.key) : [arg.key] });
    }
    if (event.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED)
      messages.push({
        name: event.workflowExecutionUpdateAcceptedEventAttributes!.acceptedRequest!.input!.name!,
        keys: [],
      });
  }
  return messages;
}

/** The ledger's hour totals of `user` equal `usage`: each model call once, the same tokens and cost. */
async function assertLedgerHas(user: string, usage: Usage): Promise<void> {
  await eventually(async () => (await client.usage(user)).hour.calls === usage.modelCalls, `ledger of ${user}`);
  const { hour } = await client.usage(user);
  assert.equal(hour.calls, usage.modelCalls);
  assert.equal(hour.inputTokens, usage.inputTokens);
  assert.equal(hour.outputTokens, usage.outputTokens);
  assert.ok(Math.abs(hour.usd - usage.costUsd) < 1e-9, `ledger $${hour.usd}, run $${usage.costUsd}`);
}

describe('carried usage commits', () => {
  test('a run of 3 model calls reaches the ledger in one signal, sent by the call that answers; totals exact', async () => {
    const user = 'cc-one';
    const run = await start('cc-one-run', user);
    const result = await run.result();
    assert.equal(result.status, 'completed');
    assert.equal(result.usage.modelCalls, 3);
    await assertLedgerHas(user, result.usage);
    assert.deepEqual(await ledgerMessages(user), [
      { name: 'commitBatch', keys: ['cc-one-run#1', 'cc-one-run#2', 'cc-one-run#3'] },
    ]);
    // Nothing was left to send at the end: no commitUsage activity.
    const activities = await recordedActivities(await env.client.workflow.getHandle('cc-one-run').fetchHistory());
    assert.ok(!activities.some((a) => a.type === 'commitUsage'), JSON.stringify(activities));
  });

  test('a run that parks first sends what it carries: the ledger has its calls while it is paused', async () => {
    const user = 'cc-pause';
    const runId = 'cc-pause-run';
    // Step 2's call is slow: the pause arrives while it runs, so the run parks after step 2.
    stub.addFaults([{ kind: 'delay', ms: 1500, match: { run: runId, step: 2 } }]);
    const run = await start(runId, user);
    await eventually(async () => (await run.state()).step >= 1, 'step 1 done');
    await run.pause();
    await eventually(async () => (await run.state()).status === 'paused', 'paused');
    const parked = await run.state();
    assert.equal(parked.usage.modelCalls, 2);
    await assertLedgerHas(user, parked.usage);

    await run.resume();
    const result = await run.result();
    assert.equal(result.status, 'completed');
    await assertLedgerHas(user, result.usage);
    const messages = await ledgerMessages(user);
    assert.deepEqual(messages, [
      { name: 'commitBatch', keys: [`${runId}#1`, `${runId}#2`] },
      { name: 'commit', keys: [`${runId}#3`] },
    ]);
    const activities = await recordedActivities(await env.client.workflow.getHandle(runId).fetchHistory());
    const commits = activities.filter((a) => a.type === 'commitUsage');
    assert.deepEqual(
      commits.map((a) => a.local),
      [false],
      'one commit, an activity task',
    );
  });

  test('a run that fails sends what it carries before it fails', async () => {
    const user = 'cc-fail';
    const runId = 'cc-fail-run';
    // Step 2's call is refused for good (401: not retried).
    stub.addFaults([{ kind: 'status', status: 401, match: { run: runId, step: 2 } }]);
    const run = await start(runId, user);
    await assert.rejects(run.result());
    const state = await run.state();
    assert.equal(state.status, 'failed');
    assert.equal(state.usage.modelCalls, 1);
    await assertLedgerHas(user, state.usage);
    assert.deepEqual(await ledgerMessages(user), [{ name: 'commit', keys: [`${runId}#1`] }]);
  });

  test('a run stopped mid-step sends what it carries; the cut call is not charged', async () => {
    const user = 'cc-stop';
    const runId = 'cc-stop-run';
    stub.addFaults([{ kind: 'delay', ms: 60_000, match: { run: runId, step: 3 } }]);
    const run = await start(runId, user);
    await eventually(async () => (await run.state()).step >= 2, 'step 2 done');
    await run.stop();
    const result = await run.result();
    assert.equal(result.status, 'stopped');
    assert.equal(result.usage.modelCalls, 2);
    await assertLedgerHas(user, result.usage);
    assert.deepEqual(await ledgerMessages(user), [{ name: 'commitBatch', keys: [`${runId}#1`, `${runId}#2`] }]);
  });
});
