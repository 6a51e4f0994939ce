/**
 * The user ledger workflow on its own: idempotent commits across continue-as-new, admit giving back a
 * grant the quota refused, and update validators rejecting bad input without failing the workflow.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { temporalLedgerClient } from '../activities/middleware/ledger-client';
import type { LedgerClient } from '../activities/middleware/types';
import { acquireUpdate, ledgerWorkflowId, type ReserveInput } from '../agents/ledger';
import { userUsage } from '../client/usage';
import type { userLedgerWorkflow } from '../workflows';
import { eventually } from '../testing/environment';
import { agentTestbed } from './helpers/testbed';

const testbed = agentTestbed({ name: 'ledger' });
let env: TestWorkflowEnvironment;
let taskQueue: string;
let ledger: LedgerClient;
before(async () => {
  ({ env, taskQueue } = await testbed.start());
  ledger = temporalLedgerClient(env.client, taskQueue);
});
after(() => testbed.stop());

const commit = (key: string) => ({
  key,
  kind: 'model' as const,
  name: 'scripted:auto',
  inputTokens: 10,
  outputTokens: 5,
  cachedTokens: 0,
  usd: 0.001,
});

test('commits are charged once per key, also across continue-as-new', async () => {
  const user = 'can-user';
  const handle = await env.client.workflow.start<typeof userLedgerWorkflow>('userLedgerWorkflow', {
    workflowId: ledgerWorkflowId(user),
    taskQueue,
    args: [{ user, historyEventLimit: 60 }],
  });
  const firstRunId = handle.firstExecutionRunId;
  for (let i = 0; i < 40; i++) {
    await ledger.commit(user, commit(`run-a#${i}`));
    if (i % 10 === 0) await ledger.commit(user, commit(`run-a#${i}`)); // a retried activity
    await ledger.acquire(user, { key: `run-a#${i}#1#1`, requests: 1000, windowMs: 60_000 });
  }
  const described = await eventually(async () => {
    const d = await env.client.workflow.getHandle(ledgerWorkflowId(user)).describe();
    return d.runId !== firstRunId && d;
  }, 'the ledger continued as new');
  // Keys committed before continue-as-new are remembered after it.
  await ledger.commit(user, commit('run-a#3'));
  await eventually(async () => (await userUsage(env.client, user)).day.calls === 40 && true, '40 commits applied');
  const usage = await userUsage(env.client, user);
  assert.equal(usage.day.calls, 40);
  assert.equal(usage.day.totalTokens, 600);
  assert.equal(usage.day.usd, 0.04);
  assert.equal(usage.month.byModel['scripted:auto'].calls, 40);
  console.log(
    `ledger continued as new (run ${described.runId}); totals carried: ${usage.day.calls} calls, $${usage.day.usd}`,
  );
});

test('admit: a quota refusal gives the rate-limit slot back; a rate-limit refusal reserves nothing', async () => {
  const user = 'admit-user';
  const reserve = (key: string, tokens: number): ReserveInput => ({
    key,
    model: 'scripted:auto',
    inputTokens: 50,
    defaultOutputTokens: 10,
    price: { input: 1, output: 2 },
    quota: { tokens, period: 'day' },
    holdMs: 60_000,
  });
  const refused = await ledger.admit(user, {
    acquire: { key: 'a#1', requests: 1, windowMs: 60_000 },
    reserve: reserve('a', 10),
  });
  assert.equal(refused.acquire?.granted, true);
  assert.equal(refused.reserve?.granted, false);
  // The only slot of the window is free again.
  const granted = await ledger.admit(user, {
    acquire: { key: 'b#1', requests: 1, windowMs: 60_000 },
    reserve: reserve('b', 1000),
  });
  assert.ok(granted.acquire?.granted && granted.reserve?.granted);
  const limited = await ledger.admit(user, {
    acquire: { key: 'c#1', requests: 1, windowMs: 60_000 },
    reserve: reserve('c', 1000),
  });
  assert.equal(limited.acquire?.granted, false);
  assert.equal(limited.reserve, undefined);
  const usage = await userUsage(env.client, user);
  assert.equal(usage.pending.calls, 1, 'only b holds a reservation');
  assert.equal(usage.day.quotaRefused, 1);
  assert.equal(usage.day.rateLimited, 1);
});

test('calls of one user at once share ledger messages: every answer right, totals exact', async () => {
  const user = 'busy-user';
  const n = 60;
  const reserve = (i: number, tokens: number): ReserveInput => ({
    key: `busy#${i}`,
    model: 'scripted:auto',
    inputTokens: 10,
    defaultOutputTokens: 5,
    price: { input: 1, output: 2 },
    quota: { tokens, period: 'day' },
    holdMs: 60_000,
  });
  // The quota holds 40 calls of 15 tokens: the first 40 in ledger order are granted, the other 20 refused.
  const answers = await Promise.all(
    Array.from({ length: n }, (_, i) =>
      i % 3 === 0
        ? ledger.admit(user, { reserve: reserve(i, 600) }).then((a) => a.reserve!)
        : ledger.reserve(user, reserve(i, 600)),
    ),
  );
  assert.equal(answers.filter((a) => a.granted).length, 40);
  assert.equal(answers.filter((a) => !a.granted).length, 20);
  const granted = answers.flatMap((a, i) => (a.granted ? [i] : []));
  await Promise.all(granted.map((i) => ledger.commit(user, commit(`busy#${i}`))));
  // A lone commit is a signal: written when it returns, applied at the ledger's next task.
  await eventually(async () => (await userUsage(env.client, user)).day.calls === 40 && true, '40 commits applied');
  const usage = await userUsage(env.client, user);
  assert.equal(usage.day.calls, 40);
  assert.equal(usage.day.quotaRefused, 20);
  assert.equal(usage.pending.calls, 0, 'every commit cleared its reservation');
  // Shared messages: far fewer ledger updates than calls, and none refused for too many in flight.
  const history = await env.client.workflow.getHandle(ledgerWorkflowId(user)).fetchHistory();
  const updates = (history.events ?? []).flatMap((e) => {
    const name = e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name;
    return name ? [name] : [];
  });
  assert.ok(updates.includes('admitMany'), `updates: ${updates.join(', ')}`);
  assert.ok(updates.length < n, `${updates.length} updates for ${n} admissions and ${granted.length} commits`);
});

test('bad update input is rejected by the validator; the ledger keeps running', async () => {
  const user = 'bad-input-user';
  await ledger.acquire(user, { key: 'k', requests: 1, windowMs: 1000 });
  const handle = env.client.workflow.getHandle(ledgerWorkflowId(user));
  await assert.rejects(
    handle.executeUpdate(acquireUpdate, { args: [{ key: '', requests: 0, windowMs: 1000 }] }),
    (err: Error) => {
      assert.ok(err instanceof WorkflowUpdateFailedError);
      assert.match(String((err.cause as Error)?.message), /Invalid acquire input: key: .*; requests: /);
      return true;
    },
  );
  assert.equal((await handle.describe()).status.name, 'RUNNING');
});
