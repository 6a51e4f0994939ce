/**
 * Approval per role in the policy file (`roles.<name>.approval`, the shape of `options.approval`) on the real stack:
 * a worker reads a policy file; runs and sessions of users in a role with an approval rule park before its tools'
 * calls even when their options ask for nothing, rules merge with the run's own, and bad rules are refused.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { defaultPayloadConverter } from '@temporalio/common';
import type { RunEvent } from '../agents/events';
import { approveUpdate, eventsQuery } from '../agents/messages';
import { filePolicySource, parsePolicy, PolicyError, type PolicyInput } from '../activities/middleware/policy';
import { AgentError, type AgentClient, type AgentRunHandle, type RunState, type SessionManager } from '../client';
import { eventually } from '../testing/environment';
import { agentTestbed } from './helpers/testbed';
import { recordedActivities } from './helpers/history-activities';

const policy: PolicyInput = {
  roles: {
    reviewed: { approval: { tools: ['calc*'] } },
    timed: { approval: { tools: ['word_count'], timeoutSeconds: 1, onTimeout: 'approve' } },
    free: {},
  },
  users: { rita: ['reviewed'], tim: ['timed'], fred: ['free'], both: ['reviewed', 'timed'] },
};
const dir = mkdtempSync(join(tmpdir(), 'approvals-policy-'));
const policyFile = join(dir, 'policy.json');
writeFileSync(policyFile, JSON.stringify(policy));

const testbed = agentTestbed({ name: 'approvals-policy', worker: { policy: filePolicySource(policyFile) } });
let client: AgentClient;
let sessions: SessionManager;
before(async () => {
  ({ client, sessions } = await testbed.start());
});
after(async () => {
  await testbed.stop();
  rmSync(dir, { recursive: true, force: true });
});

const model = 'scripted:auto?parallel=1';
const calc = 'call calculator {"expression":"6*7"}';
const words = 'call word_count {"text":"one two three"}';

function start(user: string, task: string, options?: Parameters<AgentClient['start']>[0]['options']) {
  return client.start({ template: 'react', input: { task }, model, user, ...(options ? { options } : {}) });
}

function awaiting(handle: AgentRunHandle, calls: number): Promise<RunState> {
  return eventually(async () => {
    const state = await handle.state();
    return state.status === 'awaiting_approval' && state.pendingApprovals?.length === calls && state;
  }, `${handle.runId}: awaiting ${calls} approval(s)`);
}

async function approvalEvents(handle: AgentRunHandle): Promise<unknown[]> {
  const { events } = await handle.workflow.query(eventsQuery, { after: 0, limit: 200 });
  return events
    .filter((e): e is RunEvent<'approval.decided'> => e.type === 'approval.decided')
    .map((e) => [e.data.callId, e.data.tool, e.data.decision, e.data.by]);
}

/** Tool-call activities the run ran (remote or local), from its history. */
async function toolActivities(handle: AgentRunHandle): Promise<number> {
  return recordedActivities(await handle.workflow.fetchHistory()).filter((a) => a.type === 'callTool').length;
}

/** The role approval rules recorded with the model-call results in the run's history. */
async function recordedRules(handle: AgentRunHandle): Promise<unknown[]> {
  const history = await handle.workflow.fetchHistory();
  return (history.events ?? []).flatMap((e) => {
    const payload = e.activityTaskCompletedEventAttributes?.result?.payloads?.[0];
    const result = payload ? defaultPayloadConverter.fromPayload<{ approval?: unknown }>(payload as never) : undefined;
    return result?.approval ? [result.approval] : [];
  });
}

test("a role's approval gates a run whose options ask for none; approved, the call runs", async () => {
  const handle = await start('rita', calc);
  const state = await awaiting(handle, 1);
  assert.deepEqual(
    state.pendingApprovals!.map((p) => [p.callId, p.tool, p.args]),
    [['call_1_1', 'calculator', { expression: '6*7' }]],
  );
  assert.equal(await toolActivities(handle), 0, 'nothing runs while it waits');
  await handle.approve('call_1_1');
  const result = await handle.result();
  assert.match(result.answer, /Tool results: 42$/);
  assert.deepEqual(await approvalEvents(handle), [['call_1_1', 'calculator', 'approved', 'person']]);
});

test("the run's own rule and the role's merge: the tools of both wait", async () => {
  const handle = await start('rita', `${calc}\n${words}`, { approval: { tools: ['word_count'] } });
  const state = await awaiting(handle, 2);
  assert.deepEqual(state.pendingApprovals!.map((p) => p.tool).sort(), ['calculator', 'word_count']);
  await handle.reject('call_1_2', 'not now');
  assert.equal((await handle.state()).pendingApprovals?.length, 1, 'one decided, one still waits');
  await handle.approve();
  const result = await handle.result();
  assert.match(
    result.answer,
    /Tool results: 42 \| This tool call was rejected by a person and was not run: not now\.$/,
  );
});

test('a role rule with a timeout decides by onTimeout; users without a rule are not gated', async () => {
  const timed = await start('tim', words);
  const result = await timed.result();
  assert.match(result.answer, /Tool results: \{"words":3,"characters":13\}$/);
  assert.deepEqual(await approvalEvents(timed), [['call_1_1', 'word_count', 'approved', 'timeout']]);

  const free = await start('fred', `${calc}\n${words}`);
  assert.match((await free.result()).answer, /Tool results: 42 \| \{"words":3,/);
  assert.deepEqual(await approvalEvents(free), []);
  assert.equal((await free.state()).pendingApprovals, undefined);
  // Nothing about approval is recorded for a run no rule applies to; the gated run recorded its rule with the reply.
  assert.deepEqual(await recordedRules(free), []);
  assert.deepEqual(await recordedRules(timed), [policy.roles.timed.approval]);
});

test('rules of several roles merge to the stricter: shortest timeout, reject unless every rule approves', async () => {
  // "reviewed" has no timeout (a person must decide), "timed" approves after 1 s: together, 1 s and reject.
  const handle = await start('both', `${calc}\n${words}`);
  const result = await handle.result();
  assert.match(
    result.answer,
    /Tool results: This tool call was rejected by the approval timeout and was not run: no decision before the approval timeout\. \| This tool call/,
  );
  assert.deepEqual((await approvalEvents(handle)).sort(), [
    ['call_1_1', 'calculator', 'rejected', 'timeout'],
    ['call_1_2', 'word_count', 'rejected', 'timeout'],
  ]);
  assert.equal(await toolActivities(handle), 0);
});

test("a session turn of a user in the role waits too, and is decided with the session's approve update", async () => {
  const session = await sessions.create({ user: 'rita', template: 'react', model: 'scripted:auto' });
  const reply = session.send(calc);
  const state = await eventually(async () => {
    const s = await session.state();
    return s.pendingApprovals?.length === 1 && s;
  }, 'the session turn awaiting approval');
  const [pending] = state.pendingApprovals!;
  assert.equal(pending.tool, 'calculator');
  await assert.rejects(
    session.approve('call_9'),
    (err: unknown) => err instanceof AgentError && err.type === 'UnknownToolCall',
  );
  // By the update's wire name, as the UI's Send an Update sends it.
  const decided = await session.workflow.executeUpdate(approveUpdate, { args: [{ callId: pending.callId }] });
  assert.deepEqual(decided.decided, [{ callId: pending.callId, tool: 'calculator', decision: 'approved' }]);
  assert.match((await reply).answer, /Tool results: 42$/);
  assert.equal((await session.state()).pendingApprovals, undefined);
  await assert.rejects(
    session.approve(),
    (err: unknown) => err instanceof AgentError && err.type === 'NotAwaitingApproval',
  );
  await session.close();
});

test('approve and reject of an unknown run are NotFound; nothing is started', async () => {
  const runId = `no-such-run-${Date.now()}`;
  for (const decide of [() => client.getHandle(runId).approve(), () => client.getHandle(runId).reject('call_1')]) {
    await assert.rejects(decide(), (err: unknown) => err instanceof AgentError && err.type === 'NotFound');
  }
  await assert.rejects(client.getHandle(runId).state(), (err: unknown) => err instanceof AgentError);
});

test('a bad approval rule in the policy file is refused with the field named', () => {
  const bad = (approval: unknown) => () =>
    parsePolicy(JSON.stringify({ roles: { r: { approval } }, defaultRoles: ['r'] }), 'policy.json');
  assert.throws(
    bad({ tools: [] }),
    (err: Error) => err instanceof PolicyError && /roles\.r\.approval\.tools/.test(err.message),
  );
  assert.throws(bad({ tools: ['x'], onTimeout: 'maybe' }), /roles\.r\.approval\.onTimeout/);
  assert.throws(bad({ tools: ['x'], timeoutSeconds: 0 }), /roles\.r\.approval\.timeoutSeconds/);
  assert.throws(bad({ tools: ['x'], extra: 1 }), PolicyError);
});
