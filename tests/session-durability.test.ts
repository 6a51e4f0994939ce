/**
 * A session survives its worker: the worker holding it is SIGKILLed between turns and during a turn, and the
 * conversation goes on, memory intact, on the workers left.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { SessionManager, type SessionHandle } from '../client';
import { writeWorkflowBundle } from '../worker/workflow-bundle';
import { eventually, startDevEnvironment, uniqueTaskQueue } from '../testing/environment';
import { startWorkerProcess, type WorkerProcess } from '../testing/worker-process';

const EventType = temporal.api.enums.v1.EventType;

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
  const w = await startWorkerProcess({
    TEMPORAL_ADDRESS: env.address,
    AGENT_TASK_QUEUE: taskQueue,
    WORKFLOW_BUNDLE: bundlePath,
  });
  workers.push(w);
  return w;
}

/** The worker process whose identity (`pid@host`, the SDK default) is `identity`. */
function byIdentity(identity: string | null | undefined): WorkerProcess {
  const w = workers.find((p) => identity?.startsWith(`${p.child.pid}@`));
  assert.ok(w, `no worker process has identity ${identity}`);
  return w;
}

/** The worker that ran the session's latest model call. */
async function lastModelCallWorker(session: SessionHandle): Promise<WorkerProcess> {
  const history = await session.workflow.fetchHistory();
  const started = (history.events ?? []).filter((e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED);
  return byIdentity(started[started.length - 1]?.activityTaskStartedEventAttributes?.identity);
}

test('worker SIGKILLed between turns and during a turn: memory intact, the turn completes', async () => {
  const taskQueue = uniqueTaskQueue('session-crash');
  const sessions = new SessionManager(env.client, { taskQueue });
  await Promise.all([worker(taskQueue), worker(taskQueue)]);
  const session = await sessions.create({ user: 'fay', model: 'scripted:auto?delayMs=1500' });
  assert.equal((await session.send('my name is Fay')).answer, 'Nice to meet you, Fay.');

  // Between turns: the worker that ran turn 1 (and caches the session) dies; a third one starts meanwhile.
  const holder = await lastModelCallWorker(session);
  await holder.kill('SIGKILL');
  const third = worker(taskQueue);
  assert.equal((await session.send('what is my name?')).answer, 'Your name is Fay.');
  await third;

  // During a turn: the worker running its model call dies; the update stays open and completes elsewhere.
  const reply = session.send('and again, what is my name?');
  const pending = await eventually(async () => {
    const { raw } = await session.workflow.describe();
    return raw.pendingActivities?.find((a) => a.lastWorkerIdentity)?.lastWorkerIdentity;
  }, 'turn 3 model call running');
  await byIdentity(pending).kill('SIGKILL');
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
