/**
 * Messages sent while a turn runs: `enqueue` serializes them, `reject` refuses with SessionBusy, `interrupt`
 * stops the running turn. Pause, resume, stop and close, and messages to a closed session.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { temporal } from '@temporalio/proto';
import { AgentError, SessionManager, type SessionHandle } from '../client';
import { eventually } from '../testing/environment';
import { agentTestbed } from './helpers/testbed';

const EventType = temporal.api.enums.v1.EventType;

const testbed = agentTestbed({ name: 'session-concurrency' });
let sessions: SessionManager;
before(async () => {
  ({ sessions } = await testbed.start());
});
after(() => testbed.stop());

const isAgentError = (type: string) => (err: unknown) => err instanceof AgentError && err.type === type;
const turnRunning = (session: SessionHandle, turn: number) =>
  eventually(async () => (await session.state()).runningTurn === turn, `turn ${turn} running`);

test('enqueue: concurrent messages run one turn at a time, each answered in order', async () => {
  const session = await sessions.create({ user: 'ann', model: 'scripted:auto?delayMs=300' });
  const messages = ['first', 'second', 'third', 'fourth'];
  const replies = await Promise.all(messages.map((m) => session.send(m)));
  assert.deepEqual(replies.map((r) => r.turn).sort(), [1, 2, 3, 4]);
  for (const [i, reply] of replies.entries())
    assert.match(reply.answer, new RegExp(`you said "${messages[i]}"`), 'each reply answers its own message');

  // Turn k's model call saw the k-1 turns before it: the reply counts user messages.
  for (const reply of replies) assert.match(reply.answer, new RegExp(`^Scripted reply \\(turn ${reply.turn}\\)`));
  // Never two model calls at once.
  const history = await session.workflow.fetchHistory();
  let inFlight = 0;
  let most = 0;
  for (const event of history.events ?? []) {
    if (event.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED) most = Math.max(most, ++inFlight);
    if (event.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED) inFlight--;
  }
  assert.equal(most, 1);
});

test('reject: a message during a turn fails with SessionBusy; the turn is unharmed', async () => {
  const session = await sessions.create({ user: 'ann', strategy: 'reject', model: 'scripted:auto?delayMs=1500' });
  const first = session.send('first');
  await turnRunning(session, 1);
  await assert.rejects(
    session.send('second'),
    (err: AgentError) => isAgentError('SessionBusy')(err) && /strategy is "reject"/.test(err.message),
  );
  assert.equal((await first).status, 'completed');
  assert.equal((await session.send('third')).turn, 2, 'accepted once idle');
});

test('interrupt: a new message stops the running turn, whose reply says interrupted', async () => {
  const session = await sessions.create({ user: 'ann', strategy: 'interrupt', model: 'scripted:auto?delayMs=3000' });
  const first = session.send('a long question');
  await turnRunning(session, 1);
  const started = Date.now();
  const second = session.send('never mind, this instead');
  const interrupted = await first;
  assert.ok(Date.now() - started < 2500, 'the first turn ended at once');
  assert.deepEqual(
    [interrupted.turn, interrupted.status, interrupted.finishReason, interrupted.answer, interrupted.steps],
    [1, 'interrupted', 'interrupted', '', 0],
  );
  const reply = await second;
  assert.deepEqual([reply.turn, reply.status], [2, 'completed']);
  assert.match(reply.answer, /never mind, this instead/);
  const checkpoint = await session.checkpoint(2);
  assert.deepEqual(
    checkpoint.messages.map((m) => `${m.role}:${m.content.slice(0, 15)}`),
    [
      'system:You are a helpf',
      'user:a long question',
      'user:never mind, thi',
      `assistant:${reply.answer.slice(0, 15)}`,
    ],
  );
});

test('pause holds messages until resume, and parks a running turn at its next step', async () => {
  const session = await sessions.create({ user: 'ann', model: 'scripted:auto?delayMs=200' });
  await session.pause();
  await eventually(async () => (await session.state()).status === 'paused', 'paused');
  let done = false;
  const reply = session.send('while paused').then((r) => ((done = true), r));
  await eventually(async () => (await session.state()).queued === 1, 'message waiting');
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(done, false, 'no turn while paused');
  const listed = await eventually(
    async () => (await sessions.list({ user: 'ann', status: 'paused' })).find((s) => s.sessionId === session.sessionId),
    'listed as paused',
  );
  assert.equal(listed.status, 'paused');
  await session.resume();
  assert.equal((await reply).turn, 1);
  assert.equal((await session.state()).status, 'idle');

  // A react turn parks at its next step boundary and goes on from there.
  const agent = await sessions.create({ user: 'ann', template: 'react', model: 'scripted:auto?rounds=3&delayMs=400' });
  const turn = agent.send('count');
  await turnRunning(agent, 1);
  await agent.pause();
  const parked = await eventually(async () => {
    const state = await agent.state();
    return state.status === 'paused' && state;
  }, 'turn parked');
  assert.equal(parked.runningTurn, 1);
  const stepsAtPause = parked.usage.modelCalls;
  await new Promise((r) => setTimeout(r, 800));
  assert.equal((await agent.state()).usage.modelCalls, stepsAtPause, 'no model call while parked');
  await agent.resume();
  const finished = await turn;
  assert.deepEqual([finished.status, finished.steps, finished.usage.toolCalls], ['completed', 4, 3]);
});

test('stop: the running turn ends stopped, waiting messages get SessionClosed, the session closes', async () => {
  const session = await sessions.create({ user: 'ann', model: 'scripted:auto?delayMs=3000' });
  const first = session.send('first');
  await turnRunning(session, 1);
  const waiting = session.send('second').catch((err: unknown) => err);
  await eventually(async () => (await session.state()).queued === 1, 'second waiting');
  await session.stop();
  assert.deepEqual([(await first).status, (await first).finishReason], ['stopped', 'stopped']);
  const refused = await waiting;
  assert.ok(isAgentError('SessionClosed')(refused) && /stopped/.test((refused as Error).message), String(refused));
  const result = await session.result();
  assert.deepEqual([result.closeReason, result.turns], ['stopped', 1]);
});

test('close: accepted turns finish, later messages get SessionClosed, closing again is a no-op', async () => {
  const session = await sessions.create({ user: 'ann', model: 'scripted:auto?delayMs=1000' });
  const accepted = session.send('accepted before close');
  await turnRunning(session, 1);
  const closing = await session.close();
  assert.equal(closing.status, 'closing');
  await assert.rejects(
    session.send('too late'),
    (err: AgentError) => isAgentError('SessionClosed')(err) && /was closed/.test(err.message),
  );
  assert.equal((await accepted).status, 'completed');
  const result = await session.result();
  assert.deepEqual([result.closeReason, result.turns], ['closed', 1]);
  // The workflow has completed: the client still says SessionClosed, not a Temporal error.
  await assert.rejects(session.send('much too late'), isAgentError('SessionClosed'));
  assert.equal((await session.close()).status, 'closed');
  assert.equal((await session.state()).turns, 1);
  await assert.rejects(
    sessions.create({ user: 'ann', sessionId: session.sessionId, model: 'scripted:auto' }),
    isAgentError('SessionClosed'),
  );
});

test('a caller-given id is idempotent: create and update-with-start reach the same session', async () => {
  const a = await sessions.create({ user: 'ann', sessionId: 'ann-chat', model: 'scripted:auto' });
  const b = await sessions.create({ user: 'ann', sessionId: 'ann-chat', model: 'scripted:auto' });
  assert.equal(a.sessionId, b.sessionId);
  assert.equal(
    (await sessions.createAndSend({ user: 'ann', sessionId: 'ann-chat', model: 'scripted:auto' }, 'my name is Ann'))
      .turn,
    1,
  );
  assert.equal(
    (await sessions.createAndSend({ user: 'ann', sessionId: 'ann-new', model: 'scripted:auto' }, 'my name is Ann'))
      .turn,
    1,
  );
  assert.equal((await a.send('what is my name?')).answer, 'Your name is Ann.');
  await assert.rejects(
    sessions.create({ user: 'bea', sessionId: 'ann-chat', model: 'scripted:auto' }),
    isAgentError('PermissionDenied'),
  );
  // The same message id is one message, even sent twice.
  const once = await a.send('remember this', { messageId: 'msg-1' });
  const twice = await a.send('remember this', { messageId: 'msg-1' });
  assert.deepEqual(twice, once);
  assert.equal((await a.state()).turns, 3);
});
