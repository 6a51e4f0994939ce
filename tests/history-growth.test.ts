/**
 * History stays linear: a 200-step run records each message about once, so bytes per step stay flat,
 * and a run past its history limit continues as new with its state intact.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { temporal } from '@temporalio/proto';
import type { AgentClient } from '../client';
import { agentTestbed } from './helpers/testbed';

const EventType = temporal.api.enums.v1.EventType;

const testbed = agentTestbed({ name: 'history' });
let client: AgentClient;
before(async () => {
  ({ client } = await testbed.start());
});
after(() => testbed.stop());

/** Bytes of history added by each step, a step starting at each model-call ActivityTaskScheduled. */
function bytesPerStep(history: temporal.api.history.v1.IHistory): number[] {
  const steps: number[] = [];
  for (const event of history.events ?? []) {
    const size = temporal.api.history.v1.HistoryEvent.encode(event).finish().length;
    const isModelCall =
      event.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED &&
      event.activityTaskScheduledEventAttributes?.activityType?.name === 'invokeModel';
    if (isModelCall) steps.push(0);
    if (steps.length > 0) steps[steps.length - 1] += size;
  }
  return steps;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

test('a 200-step run grows history linearly', async () => {
  // pad=300 makes every answer 300+ characters, so re-sending the conversation would show at once.
  const handle = await client.start({
    template: 'react',
    input: { task: 'count', maxSteps: 250 },
    user: 'erin',
    model: 'scripted:auto?rounds=199&pad=300',
  });
  const result = await handle.result();
  assert.equal(result.steps, 200);
  const history = await handle.workflow.fetchHistory();
  const perStep = bytesPerStep(history);
  assert.equal(perStep.length, 200);
  const total = perStep.reduce((a, b) => a + b, 0);
  const first = mean(perStep.slice(0, 50));
  const last = mean(perStep.slice(150));
  console.log(
    `history: ${history.events?.length} events, ${total} bytes; bytes/step first 50 = ${first.toFixed(0)}, last 50 = ${last.toFixed(0)}, ratio ${(last / first).toFixed(3)}`,
  );
  console.log(`bytes per step (every 20th): ${perStep.filter((_, i) => i % 20 === 0).join(' ')}`);
  // Quadratic growth (conversation in every input) would make the last steps ~7x the first here.
  assert.ok(last / first < 1.25, `history per step grew from ${first} to ${last} bytes`);
});

test('past its history limit the run continues as new and keeps its state', async () => {
  const handle = await client.start({
    template: 'react',
    input: { task: 'count', maxSteps: 100 },
    user: 'erin',
    model: 'scripted:auto?rounds=60',
    // About 7 events a step (the calculator is a local activity): several continue-as-new in 61 steps.
    options: { historyEventLimit: 120 },
  });
  const result = await handle.result();
  const state = await handle.state();
  assert.equal(result.steps, 61);
  assert.equal(result.usage.modelCalls, 61);
  assert.equal(result.usage.toolCalls, 60);
  assert.equal(result.answer, 'Done after 60 tool calls; last result 120.');
  assert.ok(state.continuations >= 3, `expected several continue-as-new, got ${state.continuations}`);
  assert.equal(state.messageCount, 2 + 61 + 60);
  const history = await handle.workflow.fetchHistory();
  assert.ok((history.events?.length ?? 0) <= 260, `last run's history has ${history.events?.length} events`);
});
