/**
 * User-scoped operations: list a user's sessions, close all, delete all (other users untouched), delete one,
 * and stats that add up to the turns' own usage.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { addUsage, emptyUsage, type Usage } from '../agents/conversation';
import { AgentClient, AgentError, SessionManager, type SessionHandle } from '../client';
import { agentSearchAttributeKeys } from '../agents/search-attributes';
import { eventually } from '../testing/environment';
import { temporalCli } from '../testing/paths';
import { agentTestbed } from './helpers/testbed';

// As startDevEnvironment, but deleting a closed workflow takes effect at once: by default the server first waits
// (10-30 s) until it has processed the workflow's close tasks, which proves nothing about our code.
const startEnvironment = () =>
  TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: temporalCli },
      searchAttributes: agentSearchAttributeKeys,
      extraArgs: [
        '--log-level',
        'error',
        ...['transfer', 'visibility'].flatMap((queue) => [
          '--dynamic-config-value',
          `history.${queue}ProcessorEnsureCloseBeforeDelete=false`,
        ]),
      ],
    },
  });
const testbed = agentTestbed({ name: 'session-users', startEnvironment });
let env: TestWorkflowEnvironment;
let sessions: SessionManager;
before(async () => {
  ({ env, sessions } = await testbed.start());
});
after(() => testbed.stop());

const isAgentError = (type: string) => (err: unknown) => err instanceof AgentError && err.type === type;

/** Creates `count` sessions for `user`, each with `turns` turns; returns them with the usage their replies reported. */
async function sessionsWithTurns(
  user: string,
  count: number,
  turns: number,
): Promise<{ handles: SessionHandle[]; usage: Usage; turns: number }> {
  const usage = emptyUsage();
  const handles = await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const handle = await sessions.create({ user, sessionId: `${user}-${i + 1}`, model: 'scripted:auto' });
      for (let t = 1; t <= turns; t++) addUsage(usage, (await handle.send(`${user} says ${t}`)).usage);
      return handle;
    }),
  );
  return { handles, usage, turns: count * turns };
}

test('close all and delete all of one user leave other users alone; stats add up; delete removes every run', async () => {
  const [cat, dan] = await Promise.all([sessionsWithTurns('cat', 3, 2), sessionsWithTurns('dan', 2, 3)]);
  await dan.handles[1].close();

  const danRows = await eventually(async () => {
    const rows = await sessions.list({ user: 'dan' });
    return rows.length === 2 && rows.some((r) => r.status === 'closed') && rows;
  }, "dan's sessions listed");
  assert.deepEqual(danRows.map((r) => [r.sessionId, r.status, r.turns]).sort(), [
    ['dan-1', 'open', 3],
    ['dan-2', 'closed', 3],
  ]);
  assert.equal(danRows.find((r) => r.status === 'closed')!.closeReason, 'closed');
  assert.deepEqual(
    (await sessions.list({ user: 'dan', status: 'open' })).map((r) => r.sessionId),
    ['dan-1'],
  );

  const stats = await eventually(async () => {
    const s = await sessions.stats();
    return s.byUser.cat?.turns === cat.turns && s.byUser.dan?.turns === dan.turns && s;
  }, 'stats caught up');
  const { cat: catStats, dan: danStats } = stats.byUser;
  assert.deepEqual([catStats.sessions, catStats.open, catStats.closed], [3, 3, 0]);
  assert.deepEqual([danStats.sessions, danStats.open, danStats.closed], [2, 1, 1]);
  for (const [totals, expected] of [
    [catStats, cat.usage],
    [danStats, dan.usage],
  ] as const) {
    assert.deepEqual(
      [totals.inputTokens, totals.outputTokens, totals.modelCalls, totals.costUsd],
      [expected.inputTokens, expected.outputTokens, expected.modelCalls, expected.costUsd],
    );
  }
  const summed = Object.values(stats.byUser).reduce(
    (a, t) => ({
      sessions: a.sessions + t.sessions,
      turns: a.turns + t.turns,
      tokens: a.tokens + t.inputTokens + t.outputTokens,
    }),
    { sessions: 0, turns: 0, tokens: 0 },
  );
  assert.deepEqual(summed, {
    sessions: stats.overall.sessions,
    turns: stats.overall.turns,
    tokens: stats.overall.inputTokens + stats.overall.outputTokens,
  });
  assert.deepEqual((await sessions.stats({ user: 'cat' })).overall, catStats);

  // Close all of cat's: dan's open session stays open.
  assert.deepEqual(await sessions.closeAll('cat', { wait: true }), ['cat-1', 'cat-2', 'cat-3']);
  await assert.rejects(cat.handles[0].send('hello?'), isAgentError('SessionClosed'));
  assert.equal((await dan.handles[0].send('still here')).turn, 4);
  await eventually(
    async () => (await sessions.list({ user: 'cat', status: 'closed' })).length === 3,
    "cat's sessions listed closed",
  );
  assert.deepEqual(await sessions.closeAll('cat'), [], 'nothing left to close');

  // Delete all of dan's, open and closed, and a session that continued as new: cat's closed sessions remain.
  const eve = await sessions.create({
    user: 'eve',
    sessionId: 'eve-long',
    options: { continueAsNewEveryTurns: 2 },
    model: 'scripted:auto',
  });
  for (let t = 1; t <= 5; t++) await eve.send(`turn ${t}`);
  await eventually(
    async () => (await env.client.workflow.count(`WorkflowId = 'eve-long'`)).count >= 3,
    "eve's runs visible",
  );
  const [deleted] = await Promise.all([
    sessions.deleteAll('dan', { wait: true }),
    sessions.delete('eve-long', { wait: true }),
  ]);
  assert.deepEqual(deleted, ['dan-1', 'dan-2']);
  await assert.rejects(dan.handles[0].state(), isAgentError('NotFound'));
  await assert.rejects(dan.handles[1].send('gone?'), isAgentError('NotFound'));
  assert.deepEqual(await sessions.list({ user: 'dan' }), []);
  assert.equal(
    (await env.client.workflow.count(`WorkflowId = 'eve-long'`)).count,
    0,
    'every run of a continued session deleted',
  );
  await assert.rejects(sessions.delete('eve-long'), isAgentError('NotFound'));
  assert.equal(
    (await (await sessions.create({ user: 'eve', sessionId: 'eve-long', model: 'scripted:auto' })).state()).turns,
    0,
    'the id is free again',
  );

  assert.equal((await cat.handles[0].state()).turns, 2, "cat's sessions are untouched");
  const remaining = await eventually(async () => {
    const s = await sessions.stats();
    return s.byUser.dan === undefined ? s : undefined;
  }, 'stats without dan');
  assert.deepEqual(
    [remaining.byUser.cat.sessions, remaining.byUser.cat.closed, remaining.byUser.cat.turns],
    [3, 3, cat.turns],
  );
});

test('listing and batch calls validate their input', async () => {
  await assert.rejects(sessions.list({ user: "x' OR '1'='1" }), isAgentError('InvalidInput'));
  await assert.rejects(sessions.list({ status: 'running' as never }), isAgentError('InvalidInput'));
  await assert.rejects(sessions.closeAll(''), isAgentError('InvalidInput'));
  await assert.rejects(sessions.deleteAll('a b'), isAgentError('InvalidInput'));
  // A run is not a session: delete refuses it.
  const run = await new AgentClient(env.client, { taskQueue: sessions.taskQueue }).start({
    template: 'chat',
    input: { message: 'hi' },
    user: 'eve',
    model: 'scripted:auto',
  });
  await run.result();
  await assert.rejects(
    sessions.delete(run.runId),
    (err: AgentError) => isAgentError('NotFound')(err) && /not a session/.test(err.message),
  );
});
