/**
 * Long runs and long sessions stay inside Temporal's limits by continuing as new: a 300-step run and a
 * 500-turn session (the CI-sized versions of `npm run bench:limits`: 1,000 steps, 10,000 turns), with the
 * figures printed: events and bytes per run of the chain, continuations, memory.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { SessionManager, type AgentClient, type TurnReply } from '../client';
import { chainFigures, historyChain } from '../testing/history-chain';
import { agentTestbed } from './helpers/testbed';

const testbed = agentTestbed({ name: 'limits' });
let env: TestWorkflowEnvironment;
let client: AgentClient;
let sessions: SessionManager;
before(async () => {
  ({ env, client, sessions } = await testbed.start());
});
after(() => testbed.stop());

test('a 300-step run continues as new before its history limit and finishes with its whole conversation', async () => {
  // About 7 events a step (the calculator is a local activity): 300 steps make several runs.
  const historyEventLimit = 500;
  const started = Date.now();
  const handle = await client.start({
    runId: 'limits-300-steps',
    template: 'react',
    input: { task: 'count', maxSteps: 400 },
    model: 'scripted:auto?rounds=299',
    user: 'limits',
    options: { historyEventLimit },
  });
  const result = await handle.result();
  const seconds = (Date.now() - started) / 1000;
  const state = await handle.state();
  assert.deepEqual(
    [result.status, result.steps, result.usage.modelCalls, result.usage.toolCalls],
    ['completed', 300, 300, 299],
  );
  assert.equal(result.answer, 'Done after 299 tool calls; last result 598.');
  assert.equal(state.messageCount, 2 + 300 + 299, 'the conversation crossed every continue-as-new whole');

  const chain = await historyChain(env.client, handle.runId, state.continuations + 1);
  console.log(`300 steps in ${seconds.toFixed(1)} s (${(300 / seconds).toFixed(1)} steps/s); ${chainFigures(chain)}`);
  assert.equal(chain.length, state.continuations + 1);
  assert.ok(state.continuations >= 3, `continued ${state.continuations} times`);
  // A run checks the limit between steps, and one step adds about 7 events (a dozen with remote tool calls).
  assert.ok(
    chain.every((r) => r.events <= historyEventLimit + 30),
    'a run went past its history limit',
  );
});

/** Sends turns 2..`turns` with `concurrency` messages in flight; the replies in arrival order. */
async function sendTurns(
  session: Awaited<ReturnType<SessionManager['create']>>,
  turns: number,
  concurrency: number,
): Promise<TurnReply[]> {
  const replies: TurnReply[] = [];
  let next = 2;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next <= turns) {
        const n = next++;
        replies.push(await session.send(`message ${n}`, { messageId: `${session.sessionId}-msg-${n}` }));
      }
    }),
  );
  return replies;
}

test('a 500-turn session continues as new every 100 turns and keeps its memory bounded', async () => {
  const turns = 500;
  const session = await sessions.create({
    user: 'limits',
    sessionId: 'limits-500-turns',
    options: { continueAsNewEveryTurns: 100 },
    model: 'scripted:auto',
  });
  await session.send('hello');
  const started = Date.now();
  const replies = await sendTurns(session, turns, 1);
  const seconds = (Date.now() - started) / 1000;
  // Memory is bounded: recent turns word for word, older ones folded into a digest.
  await session.send('my name is Grace');
  const recall = await session.send('what is my name?');
  const state = await session.state();

  assert.deepEqual(
    replies.map((r) => r.turn),
    Array.from({ length: turns - 1 }, (_, i) => i + 2),
    'every message got its own turn, in order',
  );
  assert.ok(replies.every((r) => r.status === 'completed'));
  assert.deepEqual([recall.turn, recall.answer], [turns + 2, 'Your name is Grace.']);
  assert.equal(state.turns, turns + 2);
  assert.equal(state.usage.modelCalls, turns + 2);
  assert.ok(
    state.memory.keptTurns <= state.memory.keepTurns && state.memory.contextChars <= state.memory.maxChars,
    JSON.stringify(state.memory),
  );

  const chain = await historyChain(env.client, session.sessionId, state.continuations + 1);
  console.log(
    `${turns - 1} turns in ${seconds.toFixed(1)} s (${((turns - 1) / seconds).toFixed(1)} turns/s, one at a time); ` +
      `memory ${state.memory.keptTurns} turns kept, ${state.memory.contextChars} chars in context, summary through turn ${state.memory.summaryThroughTurn}; ${chainFigures(chain)}`,
  );
  assert.ok(state.continuations >= 4, `continued ${state.continuations} times in ${turns} turns (every 100 asked)`);
  assert.ok(
    chain.every((r) => r.events < 1500),
    'a run of the session held more than 100 turns',
  );
});

test('a busy session, four messages always in flight, still continues as new and keeps each run bounded', async () => {
  const turns = 121;
  const session = await sessions.create({
    user: 'limits',
    sessionId: 'limits-busy',
    options: { continueAsNewEveryTurns: 20 },
    model: 'scripted:auto',
  });
  await session.send('hello');
  const replies = await sendTurns(session, turns, 4);
  const state = await session.state();

  // Refused messages were sent again, so arrival order may differ from sending order: each still got one turn.
  assert.deepEqual(
    replies.map((r) => r.turn ?? 0).sort((a, b) => a - b),
    Array.from({ length: turns - 1 }, (_, i) => i + 2),
    'every message got its own turn',
  );
  assert.ok(replies.every((r) => r.status === 'completed'));
  assert.equal(state.turns, turns);
  const chain = await historyChain(env.client, session.sessionId, state.continuations + 1);
  console.log(`busy session: ${turns} turns, 4 in flight; ${chainFigures(chain)}`);
  assert.ok(
    state.continuations >= 4,
    `continued ${state.continuations} times in ${turns} turns (every 20 asked) although never idle`,
  );
  // 20 turns plus the few accepted while the run drained.
  assert.ok(
    chain.every((r) => r.events < 20 * 14 + 4 * 14 + 50),
    `a run held too many turns: ${chainFigures(chain)}`,
  );
});
