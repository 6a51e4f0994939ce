/**
 * Sessions hold a conversation: memory across turns and across continue-as-new, bounded memory with a digest
 * or a model-written summary, checkpoints, forks, and typed errors for bad input.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { eventsQuery } from '../agents/messages';
import type { LlmStub } from '../llm-stub';
import { AgentError, followTokens, SessionManager } from '../client';
import { eventually } from '../testing/environment';
import { agentTestbed } from './helpers/testbed';

const testbed = agentTestbed({ name: 'sessions', llmStub: true, providerEnv: { OPENAI_API_KEY: 'sk-test' } });
let env: TestWorkflowEnvironment;
let stub: LlmStub;
let sessions: SessionManager;
before(async () => {
  ({ env, stub, sessions } = await testbed.start());
});
after(() => testbed.stop());

const isAgentError = (type: string) => (err: unknown) => err instanceof AgentError && err.type === type;

test('later replies depend on earlier turns', async () => {
  const session = await sessions.create({ user: 'ada', model: 'scripted:auto' });
  assert.match(session.sessionId, /^session-[0-9a-f-]{36}$/);
  assert.equal((await session.send('Hi, my name is Ada')).answer, 'Nice to meet you, Ada.');
  const filler = await session.send('Tell me something');
  assert.equal(filler.turn, 2);
  const recall = await session.send('What is my name?');
  assert.deepEqual(
    [recall.turn, recall.status, recall.finishReason, recall.answer, recall.steps],
    [3, 'completed', 'answer', 'Your name is Ada.', 1],
  );
  assert.ok(recall.usage.inputTokens > filler.usage.inputTokens, 'the model saw the earlier turns');

  const state = await session.state();
  assert.deepEqual(
    [state.status, state.turns, state.usage.modelCalls, state.memory.contextMessages],
    ['idle', 3, 3, 7],
  );
  assert.ok(state.expiresAt && Date.parse(state.expiresAt) > Date.now() + 86_000_000, 'default TTL is a day');
});

test('a react session calls tools within a turn and remembers across turns', async () => {
  const session = await sessions.create({
    user: 'ada',
    template: 'react',
    tools: ['calculator'],
    model: 'scripted:auto',
  });
  const reply = await session.send('What is (12 + 30) * 2?');
  assert.deepEqual([reply.answer, reply.steps, reply.usage.toolCalls], ['The answer is 84.', 2, 1]);
  await session.send('my name is Grace');
  assert.equal((await session.send('what is my name?')).answer, 'Your name is Grace.');
  const checkpoint = await session.checkpoint(1);
  assert.deepEqual(
    checkpoint.messages.map((m) => m.role),
    ['system', 'user', 'assistant', 'tool', 'assistant'],
  );
});

test('continue-as-new after many turns keeps memory and the same session id', async () => {
  const session = await sessions.create({
    user: 'ada',
    sessionId: 'can-session',
    options: { continueAsNewEveryTurns: 3 },
    model: 'scripted:auto',
  });
  await session.send('my name is Lovelace');
  for (let i = 2; i <= 8; i++) assert.equal((await session.send(`message ${i}`)).turn, i);
  const recall = await session.send('what is my name?');
  assert.deepEqual([recall.turn, recall.answer], [9, 'Your name is Lovelace.']);

  const state = await session.state();
  assert.equal(state.sessionId, 'can-session');
  assert.ok(state.continuations >= 2, `continued ${state.continuations} times`);
  assert.equal(state.turns, 9);
  assert.equal(state.usage.modelCalls, 9, 'usage carried across runs');
  assert.equal((await session.checkpoint(1)).answer, 'Nice to meet you, Lovelace.', 'checkpoints carried across runs');
  const runs = await eventually(async () => {
    const n = await env.client.workflow.count(`WorkflowId = 'can-session'`);
    return n.count >= 3 && n.count;
  }, 'several runs of one session');
  assert.equal(runs, state.continuations + 1);
  // One row per session, not one per run.
  const listed = await eventually(async () => {
    const rows = await sessions.list({ user: 'ada' });
    const mine = rows.filter((s) => s.sessionId === 'can-session');
    return mine.length === 1 && mine[0].turns === 9 && mine;
  }, 'session listed once with 9 turns');
  assert.equal(listed[0].status, 'open');
});

test('memory stays bounded: old turns fold into a digest the model still sees', async () => {
  const session = await sessions.create({ user: 'ada', memory: { keepTurns: 2 }, model: 'scripted:auto' });
  await session.send('my name is Hopper');
  for (let i = 2; i <= 6; i++) await session.send(`filler ${i} ${'x'.repeat(200)}`);
  assert.equal((await session.send('what is my name?')).answer, 'Your name is Hopper.');
  const state = await session.state();
  assert.ok(state.memory.keptTurns <= 2, `kept ${state.memory.keptTurns} turns`);
  assert.ok(state.memory.summaryThroughTurn >= 4);
  assert.ok(state.memory.contextChars < 5_000, `context is ${state.memory.contextChars} chars`);
  await assert.rejects(
    session.checkpoint(1),
    (err: AgentError) => isAgentError('NotFound')(err) && /folded into its summary/.test(err.message),
  );
  const latest = await session.checkpoint(state.turns);
  assert.match(latest.messages[1].content, /^Here is a summary of this conversation up to turn \d+/);
  assert.match(latest.summary!.text, /Turn 1\. User: my name is Hopper \| Assistant: Nice to meet you, Hopper\./);

  const forgetful = await sessions.create({
    user: 'ada',
    memory: { keepTurns: 1, summary: 'none' },
    model: 'scripted:auto',
  });
  await forgetful.send('my name is Hopper');
  await forgetful.send('filler');
  await forgetful.send('more filler');
  assert.equal((await forgetful.send('what is my name?')).answer, "You haven't told me your name.");
});

test('a model-written summary is one more invokeModel call, counted in usage', async () => {
  const session = await sessions.create({
    user: 'ada',
    memory: { keepTurns: 1, summary: 'model' },
    model: 'scripted:auto',
  });
  for (let i = 1; i <= 4; i++) await session.send(`turn ${i}`);
  const state = await session.state();
  assert.equal(state.turns, 4);
  assert.ok(state.usage.modelCalls > 4, `expected summary calls on top of 4 turns, got ${state.usage.modelCalls}`);
  const checkpoint = await session.checkpoint(4);
  // The scripted model "summarises" by echoing its prompt's last message: proof the prompt went through the query.
  assert.match(checkpoint.summary!.text, /^Scripted reply/);
  assert.equal(checkpoint.summary!.throughTurn, state.memory.summaryThroughTurn);
});

test('checkpoints show a turn; a fork continues from it, apart from its source', async () => {
  const source = await sessions.create({
    user: 'ada',
    sessionId: 'fork-source',
    ttlSeconds: 3600,
    model: 'scripted:auto',
  });
  await source.send('my name is Ada');
  await source.send('nice weather');
  await source.send('my name is Bob');
  assert.equal((await source.send('what is my name?')).answer, 'Your name is Bob.');

  const checkpoint = await source.checkpoint(2);
  assert.deepEqual(
    [checkpoint.turn, checkpoint.status, checkpoint.messages.length, checkpoint.usage!.modelCalls],
    [2, 'completed', 5, 2],
  );
  assert.match(checkpoint.answer, /nice weather/);
  await assert.rejects(source.checkpoint(9), isAgentError('NotFound'));
  await assert.rejects(source.checkpoint(-1), isAgentError('InvalidInput'));

  const fork = await sessions.fork('fork-source', 2, { sessionId: 'fork-of-2' });
  const forkState = await fork.state();
  assert.deepEqual(
    [forkState.turns, forkState.usage.modelCalls, forkState.ttlSeconds, forkState.forkedFrom],
    [2, 0, 3600, { sessionId: 'fork-source', turn: 2 }],
  );
  const reply = await fork.send('what is my name?');
  assert.deepEqual([reply.turn, reply.answer], [3, 'Your name is Ada.']);
  assert.equal((await source.send('what is my name?')).answer, 'Your name is Bob.', 'the source is unchanged');
});

test('a failed turn fails its message only: typed error, memory unchanged, the session goes on', async () => {
  const session = await sessions.create({ user: 'ada', sessionId: 'stub-session', model: 'openai:stub-model' });
  assert.equal((await session.send('my name is Ada')).answer, 'Nice to meet you, Ada.');
  stub.addFaults([{ kind: 'status', status: 400, match: { run: 'stub-session', step: 2 } }]);
  await assert.rejects(
    session.send('this one fails'),
    (err: AgentError) => isAgentError('ModelRejected')(err) && /400/.test(err.message),
  );
  const state = await session.state();
  assert.deepEqual([state.status, state.turns, state.memory.contextMessages], ['idle', 1, 3]);
  const reply = await session.send('what is my name?');
  assert.deepEqual([reply.turn, reply.answer], [2, 'Your name is Ada.']);
  const steps = stub
    .requests()
    .filter((r) => r.key.run === 'stub-session')
    .map((r) => r.key.step);
  assert.deepEqual(steps, [1, 2, 3], 'the failed call keeps its step number; the next turn does not reuse it');
});

test('a retried model call shows as a retry event in the session, as in a run', async () => {
  const session = await sessions.create({ user: 'ada', sessionId: 'retry-session', model: 'openai:stub-model' });
  stub.addFaults([{ kind: 'status', status: 503, match: { run: 'retry-session', step: 1 } }]);
  assert.equal((await session.send('my name is Ada')).answer, 'Nice to meet you, Ada.');
  const { events } = await session.workflow.query(eventsQuery, { after: 0 });
  const retries = events
    .filter((e) => e.type === 'retry')
    .map((e) => e.data as { step: number; attempt: number; errorType: string });
  assert.deepEqual(
    retries.map((r) => [r.step, r.attempt, r.errorType]),
    [[1, 1, 'ModelUnavailable']],
  );
  const attempts = stub
    .requests()
    .filter((r) => r.key.run === 'retry-session')
    .map((r) => [r.key.step, r.key.attempt, r.status]);
  assert.deepEqual(attempts, [
    [1, 1, 503],
    [1, 2, 200],
  ]);
});

test('a turn streams like a run: step events and model tokens, readable while it runs', async () => {
  const session = await sessions.create({
    user: 'ada',
    model: 'scripted:auto?tokenDelayMs=30',
    options: { streamTokens: true },
  });
  await session.send('my name is Ada');
  const stop = new AbortController();
  const streamed = (async () => {
    let text = '';
    for await (const chunk of followTokens(session.workflow, { signal: stop.signal, pollMs: 50 })) {
      if (chunk.step !== 2) continue;
      if (chunk.done) break;
      text += chunk.text;
    }
    return text;
  })();
  const reply = await session.send('please answer with a few words, slowly enough to be streamed');
  const text = await Promise.race([streamed, new Promise<string>((r) => setTimeout(() => r('(timed out)'), 5000))]);
  stop.abort();
  assert.equal(text, reply.answer);
  const page = await session.workflow.query(eventsQuery, { after: 0 });
  const types = page.events.map((e) => e.type);
  assert.deepEqual(types.slice(0, 2), ['run.started', 'step.started']);
  assert.equal(types.filter((t) => t === 'model.call').length, 2, 'one model call per turn');
  assert.equal(page.done, false, 'an open session is not done');
});

test('bad input fails with a typed error before anything starts', async () => {
  await assert.rejects(
    sessions.create({ user: 'ada', template: 'structured', model: 'scripted:auto' }),
    (err: AgentError) => isAgentError('InvalidInput')(err) && /start a run/.test(err.message),
  );
  await assert.rejects(
    sessions.create({ user: 'ada', template: 'nope', model: 'scripted:auto' }),
    isAgentError('UnknownTemplate'),
  );
  await assert.rejects(
    sessions.create({ user: 'ada', tools: ['calculator'], model: 'scripted:auto' }),
    isAgentError('InvalidInput'),
  );
  await assert.rejects(
    sessions.create({ user: 'ada', template: 'react', tools: ['rm_rf'], model: 'scripted:auto' }),
    isAgentError('UnknownTool'),
  );
  await assert.rejects(sessions.create({ user: 'ada', model: 'gpt4' }), isAgentError('UnknownModel'));
  await assert.rejects(sessions.create({ user: 'a b', model: 'scripted:auto' }), isAgentError('InvalidInput'));
  await assert.rejects(
    sessions.create({ user: 'ada', ttlSeconds: 0, model: 'scripted:auto' }),
    isAgentError('InvalidInput'),
  );
  await assert.rejects(
    sessions.create({ user: 'ada', sessionId: 'bad id', model: 'scripted:auto' }),
    isAgentError('InvalidInput'),
  );
  const session = await sessions.create({ user: 'ada', model: 'scripted:auto' });
  await assert.rejects(session.send(''), isAgentError('InvalidInput'));
  await assert.rejects(sessions.getHandle('no-such-session').send('hi'), isAgentError('NotFound'));
  await assert.rejects(sessions.getHandle('no-such-session').state(), isAgentError('NotFound'));
  assert.equal((await session.state()).turns, 0, 'a rejected message leaves no turn');
});
