/**
 * A session survives its worker: SIGKILL between turns and during a turn, and the conversation goes on with
 * its memory intact on a new worker process.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, test } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { SessionManager } from '../client';
import { eventually, startDevEnvironment, uniqueTaskQueue } from './helpers/environment';
import { startWorkerProcess, type WorkerProcess } from './helpers/worker-process';

let env: TestWorkflowEnvironment;
const workers: WorkerProcess[] = [];

before(async () => {
  env = await startDevEnvironment();
});

after(async () => {
  await Promise.all(workers.map(sigkill));
  await env.teardown();
});

/**
 * SIGKILL the worker itself: `tsx` runs it in a child process, and a SIGKILL to `tsx` alone would leave
 * that child running (and polling).
 */
async function sigkill(w: WorkerProcess): Promise<void> {
  const pids = w.child.exitCode === null && w.child.signalCode === null ? childPids(w.child.pid!) : [];
  for (const pid of pids) process.kill(pid, 'SIGKILL');
  await w.kill('SIGKILL');
  for (const pid of pids) await eventually(async () => !alive(pid), `worker process ${pid} gone`);
}

function childPids(pid: number): number[] {
  try {
    return execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function worker(taskQueue: string): Promise<WorkerProcess> {
  const w = await startWorkerProcess({ TEMPORAL_ADDRESS: env.address, AGENT_TASK_QUEUE: taskQueue });
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
  await sigkill(first);
  const second = await worker(taskQueue);
  assert.equal((await session.send('what is my name?')).answer, 'Your name is Fay.');

  // During a turn: its update stays open and completes on the next worker.
  const reply = session.send('and again, what is my name?');
  await eventually(async () => (await session.state()).runningTurn === 3, 'turn 3 running');
  await new Promise((r) => setTimeout(r, 300));
  await sigkill(second);
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
