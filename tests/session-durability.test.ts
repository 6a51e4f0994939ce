/**
 * A session survives its worker: SIGKILL between turns and during a turn, and the conversation goes on with
 * its memory intact on a new worker process.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { SessionManager } from '../client';
import { writeWorkflowBundle } from '../worker/workflow-bundle';
import { eventually, startDevEnvironment, uniqueTaskQueue } from './helpers/environment';
import { startWorkerProcess, type WorkerProcess } from './helpers/worker-process';

let env: TestWorkflowEnvironment;
const workers: WorkerProcess[] = [];
let bundlePath: string;

before(async () => {
  // Built once here, so each worker process loads it instead of building its own (dist/ may be stale).
  bundlePath = join(mkdtempSync(join(tmpdir(), 'session-bundle-')), 'workflow-bundle.js');
  [env] = await Promise.all([startDevEnvironment(), writeWorkflowBundle(bundlePath)]);
});

after(async () => {
  await Promise.all(workers.map((w) => w.kill('SIGKILL')));
  await env.teardown();
});

/** A worker process of its own (node itself, so SIGKILL reaches the worker). */
async function worker(taskQueue: string): Promise<WorkerProcess> {
  const w = await startWorkerProcess({ TEMPORAL_ADDRESS: env.address, AGENT_TASK_QUEUE: taskQueue, WORKFLOW_BUNDLE: bundlePath });
  workers.push(w);
  return w;
}

test('worker SIGKILLed between turns and during a turn: memory intact, the turn completes', async () => {
  const taskQueue = uniqueTaskQueue('session-crash');
  const sessions = new SessionManager(env.client, { taskQueue });
  const first = await worker(taskQueue);
  const session = await sessions.create({ user: 'fay', model: 'scripted:auto?delayMs=1500' });
  assert.equal((await session.send('my name is Fay')).answer, 'Nice to meet you, Fay.');

  // Between turns.
  await first.kill('SIGKILL');
  const second = await worker(taskQueue);
  assert.equal((await session.send('what is my name?')).answer, 'Your name is Fay.');

  // During a turn: its update stays open and completes on the next worker.
  const reply = session.send('and again, what is my name?');
  await eventually(async () => (await session.state()).runningTurn === 3, 'turn 3 running');
  await new Promise((r) => setTimeout(r, 300));
  await second.kill('SIGKILL');
  await worker(taskQueue);
  const answered = await reply;
  assert.deepEqual([answered.turn, answered.status, answered.answer], [3, 'completed', 'Your name is Fay.']);

  const state = await session.state();
  assert.equal(state.turns, 3);
  assert.equal(state.usage.modelCalls, 3, 'the lost attempt is not counted; no turn ran twice');
  assert.deepEqual(
    (await session.checkpoint(3)).messages.filter((m) => m.role === 'user').map((m) => m.content),
    ['my name is Fay', 'what is my name?', 'and again, what is my name?'],
  );
});
