/**
 * TTL on the time-skipping test server: a session idle past its TTL closes itself, and every message
 * restarts the clock. Hours pass in milliseconds.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { agentSearchAttributeKeys } from '../agents/search-attributes';
import { AgentError, SessionManager } from '../client';
import { inProcessWorker, startTimeSkippingEnvironment, uniqueTaskQueue } from '../testing/environment';

const IndexedValueType = temporal.api.enums.v1.IndexedValueType;

let env: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;
let sessions: SessionManager;

before(async () => {
  env = await startTimeSkippingEnvironment();
  // The test server knows no custom search attributes until told (it has no ListSearchAttributes).
  const types: Record<string, temporal.api.enums.v1.IndexedValueType> = {
    KEYWORD: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
    DATETIME: IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
  };
  await env.connection.operatorService.addSearchAttributes({
    namespace: env.namespace ?? 'default',
    searchAttributes: Object.fromEntries(agentSearchAttributeKeys.map((key) => [key.name, types[key.type]])),
  });
  const taskQueue = uniqueTaskQueue('session-ttl');
  worker = await inProcessWorker(env, taskQueue);
  running = worker.run();
  sessions = new SessionManager(env.client, { taskQueue });
});

after(async () => {
  worker.shutdown();
  await running;
  await env.teardown();
});

test('an idle session closes itself after its TTL; each message restarts the clock', async () => {
  const session = await sessions.create({ user: 'gil', ttlSeconds: 3600, model: 'scripted:auto' });
  await session.send('my name is Gil');
  await env.sleep('50m');
  assert.equal((await session.state()).status, 'idle');
  // 50 minutes in, a message: the hour starts again.
  assert.equal((await session.send('what is my name?')).answer, 'Your name is Gil.');
  const state = await session.state();
  assert.equal(Date.parse(state.expiresAt!) - Date.parse(state.lastActivityAt), 3_600_000);
  await env.sleep('50m');
  assert.equal((await session.state()).status, 'idle', 'alive 100 minutes after the first message');

  const result = await session.result();
  assert.deepEqual([result.closeReason, result.turns, result.usage.modelCalls], ['expired', 2, 2]);
  const idleMs = Date.parse(result.closedAt) - Date.parse(state.lastActivityAt);
  assert.ok(idleMs >= 3_600_000 && idleMs < 3_601_000, `closed ${idleMs} ms after the last message, expected one hour`);
  await assert.rejects(
    session.send('still there?'),
    (err: unknown) => err instanceof AgentError && err.type === 'SessionClosed',
  );
  assert.equal((await session.state()).closeReason, 'expired');
});

test('pause and resume count as activity; a paused idle session still expires', async () => {
  const session = await sessions.create({ user: 'gil', ttlSeconds: 600, model: 'scripted:auto' });
  await env.sleep('9m');
  await session.pause();
  await env.sleep('9m');
  assert.equal((await session.state()).status, 'paused', 'the pause restarted the clock');
  const result = await session.result();
  assert.equal(result.closeReason, 'expired');
  assert.equal(result.turns, 0);
});
