/**
 * Pause, resume, stop and cancel of live runs, sent three ways: the typed client, `agentctl`, and the
 * `temporal` CLI binary (signals by wire name). Runs are slowed down so there is a step in flight to act on:
 * the scripted model with `delayMs`, or `openai:` against our stub server with delay faults.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { LlmStub } from '../llm-stub';
import type { AgentClient, AgentRunHandle, RunState } from '../client';
import { eventually } from '../testing/environment';
import { projectRoot, temporalCli } from '../testing/paths';
import { agentTestbed } from './helpers/testbed';

/** 40 calculator rounds, 300 ms a model call: long enough to act on, short enough to finish. */
const slowModel = 'scripted:auto?rounds=40&delayMs=300';
const maxSteps = 50;
const execFileAsync = promisify(execFile);

const testbed = agentTestbed({ name: 'control', llmStub: true });
let env: TestWorkflowEnvironment;
let stub: LlmStub;
let client: AgentClient;
let taskQueue: string;
before(async () => {
  ({ env, stub, client, taskQueue } = await testbed.start());
});
after(() => testbed.stop());

function startSlow(model = slowModel, runId?: string): Promise<AgentRunHandle> {
  return client.start({ template: 'react', input: { task: 'count', maxSteps }, model, user: 'control', runId });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function untilState(
  handle: AgentRunHandle,
  what: string,
  ok: (s: RunState) => boolean,
  timeoutMs?: number,
): Promise<RunState> {
  return eventually(
    async () => {
      const state = await handle.state();
      return ok(state) && state;
    },
    `${handle.runId}: ${what}`,
    timeoutMs,
  );
}

/** Pauses (via `send`), waits for `paused`, and checks nothing moves for 1.5 s. Returns the paused state. */
async function pauseAndHold(
  handle: AgentRunHandle,
  send: () => Promise<unknown>,
  modelRequests?: () => number,
): Promise<RunState> {
  const before = await handle.state();
  await send();
  const paused = await untilState(handle, 'paused', (s) => s.status === 'paused', 5_000);
  // The step in flight when the signal arrived finishes; none after it starts.
  assert.ok(
    paused.step >= before.step && paused.step <= before.step + 2,
    `paused at step ${paused.step}, signalled at ${before.step}`,
  );
  assert.equal(paused.pauseRequested, true);
  assert.equal(paused.usage.modelCalls, paused.step, 'no model call beyond the finished steps');
  const requestsAtPause = modelRequests?.();
  await sleep(1_500);
  const later = await handle.state();
  assert.equal(later.status, 'paused');
  assert.equal(later.step, paused.step, 'step advanced while paused');
  assert.equal(later.usage.modelCalls, paused.usage.modelCalls, 'model called while paused');
  if (modelRequests) assert.equal(modelRequests(), requestsAtPause, 'the model server was called while paused');
  return paused;
}

/** Stub requests of one run, in arrival order. */
function requestsOf(runId: string) {
  return stub.requests().filter((r) => r.path === '/v1/chat/completions' && r.key.run === runId);
}

/** The stub's log entry for one step once that request has ended (answered, or the client hung up). */
function endedRequest(runId: string, step: number) {
  return eventually(
    async () => {
      const r = requestsOf(runId).find((x) => x.key.step === step);
      return r && r.outcome !== 'pending' && r;
    },
    `the step-${step} request to end`,
    4_000,
  );
}

/** Waits until visibility lists the run with this status (the workflow's `AgentStatus` search attribute). */
function untilListed(runId: string, status: RunState['status']) {
  return eventually(
    async () => (await client.list({ user: 'control', status })).some((r) => r.runId === runId),
    `${runId} listed as ${status}`,
  );
}

/** Runs a command to completion; resolves with its exit code and output (a non-zero exit is not an error here). */
async function exec(
  command: string,
  args: string[],
  extraEnv: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await execFileAsync(command, args, {
      cwd: projectRoot,
      env: { ...process.env, ...extraEnv },
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const failed = err as { code?: unknown; stdout: string; stderr: string };
    if (typeof failed.code !== 'number') throw err;
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

function agentctl(...args: string[]) {
  return exec(process.execPath, [join(projectRoot, 'bin', 'agentctl.js'), ...args], {
    TEMPORAL_ADDRESS: env.address,
    AGENT_TASK_QUEUE: taskQueue,
  });
}

async function temporalSignal(runId: string, name: string): Promise<void> {
  const run = await exec(temporalCli, [
    'workflow',
    'signal',
    '--address',
    env.address,
    '--namespace',
    env.namespace ?? 'default',
    '--workflow-id',
    runId,
    '--name',
    name,
  ]);
  assert.equal(run.code, 0, `temporal workflow signal --name ${name}: ${run.stderr}`);
}

describe('through the client', () => {
  test('state is sensible while running', async () => {
    const handle = await startSlow();
    try {
      const state = await untilState(handle, 'two steps done', (s) => s.step >= 2);
      assert.equal(state.runId, handle.runId);
      assert.equal(state.status, 'running');
      assert.equal(state.template, 'react');
      assert.equal(state.user, 'control');
      assert.equal(state.model, slowModel);
      assert.equal(state.maxSteps, maxSteps);
      assert.ok(state.step < maxSteps);
      assert.equal(state.pauseRequested, false);
      assert.equal(state.stopRequested, false);
      // Each finished step is one model call and one calculator call; the next model call may have returned too.
      assert.equal(state.usage.toolCalls, state.step);
      assert.ok(
        state.usage.modelCalls === state.step || state.usage.modelCalls === state.step + 1,
        `modelCalls ${state.usage.modelCalls} at step ${state.step}`,
      );
      assert.ok(state.usage.inputTokens > 0 && state.usage.outputTokens > 0);
      // system + user, then per step an assistant message and a tool result (plus a returned reply not yet acted on).
      assert.ok(
        state.messageCount >= 2 + 2 * state.step && state.messageCount <= 3 + 2 * state.step,
        `messageCount ${state.messageCount}`,
      );
      assert.equal(state.error, undefined);
      const next = await untilState(handle, 'progress', (s) => s.step > state.step);
      assert.ok(next.usage.inputTokens > state.usage.inputTokens);
    } finally {
      await handle.cancel();
    }
  });

  test('pause holds at a step boundary; resume continues to the answer', async () => {
    const handle = await startSlow('scripted:auto?rounds=8&delayMs=300');
    await untilState(handle, 'a step done', (s) => s.step >= 1);
    const paused = await pauseAndHold(handle, () => handle.pause());
    assert.ok(paused.step < 9, 'paused before the end');
    await untilListed(handle.runId, 'paused');
    await handle.resume();
    const result = await handle.result();
    assert.equal(result.status, 'completed');
    assert.equal(result.finishReason, 'answer');
    assert.equal(result.steps, 9);
    assert.equal(result.usage.modelCalls, 9, 'each step called the model once, also across the pause');
    assert.match(result.answer, /^Done after 8 tool calls/);
    assert.equal((await handle.state()).status, 'completed');
  });

  test('while paused no request reaches the model server (openai: on the stub)', async () => {
    const runId = `control-openai-pause-${Date.now()}`;
    // 300 ms a call so the pause lands mid-run.
    stub.addFaults([{ kind: 'delay', ms: 300, times: 20, match: { run: runId } }]);
    const handle = await startSlow('openai:stub-model?rounds=6', runId);
    await untilState(handle, 'a step done', (s) => s.step >= 1);
    const paused = await pauseAndHold(
      handle,
      () => handle.pause(),
      () => requestsOf(runId).length,
    );
    assert.equal(requestsOf(runId).length, paused.step, 'one request per finished step');
    await handle.resume();
    const result = await handle.result();
    assert.equal(result.finishReason, 'answer');
    assert.equal(result.steps, 7);
    const requests = requestsOf(runId);
    assert.deepEqual(
      requests.map((r) => r.key.step),
      [1, 2, 3, 4, 5, 6, 7],
    );
    assert.ok(requests.every((r) => r.outcome === 'ok' || r.outcome === 'fault'));
  });

  test('stop cancels the model call in flight and returns the partial result', async () => {
    const runId = `control-openai-stop-${Date.now()}`;
    // Steps 1 and 2 answer at once; step 3 takes 5 s.
    stub.addFaults([{ kind: 'delay', ms: 5_000, match: { run: runId, step: 3 } }]);
    const handle = await startSlow('openai:stub-model?rounds=40', runId);
    await eventually(async () => requestsOf(runId).some((r) => r.key.step === 3), 'step 3 to reach the stub');
    const sent = Date.now();
    await handle.stop();
    const result = await handle.result();
    const tookMs = Date.now() - sent;
    assert.ok(tookMs < 3_000, `stop took ${tookMs} ms; the 5 s call should not be awaited`);
    assert.equal(result.status, 'stopped');
    assert.equal(result.finishReason, 'stopped');
    assert.equal(result.steps, 2);
    assert.ok(result.steps < maxSteps);
    assert.equal(result.usage.modelCalls, 2, 'the cancelled call does not count');
    const state = await handle.state();
    assert.equal(state.status, 'stopped');
    assert.equal(state.stopRequested, true);
    await untilListed(runId, 'stopped');
    // The HTTP request itself was aborted, well before its 5 s were up.
    const inFlight = await endedRequest(runId, 3);
    assert.equal(inFlight.outcome, 'client-closed');
    assert.ok(inFlight.durationMs < 3_000, `in-flight call lasted ${inFlight.durationMs} ms`);
    assert.equal(requestsOf(runId).length, 3, 'no model call after the stop');
  });

  test('stop while paused ends the run without another model call', async () => {
    const handle = await startSlow();
    await untilState(handle, 'a step done', (s) => s.step >= 1);
    await handle.pause();
    const paused = await untilState(handle, 'paused', (s) => s.status === 'paused', 5_000);
    await handle.stop();
    const result = await handle.result();
    assert.equal(result.status, 'stopped');
    assert.equal(result.steps, paused.step);
    assert.equal(result.usage.modelCalls, paused.step);
  });

  test('cancel aborts the call in flight; result rejects with Cancelled', async () => {
    const runId = `control-openai-cancel-${Date.now()}`;
    stub.addFaults([{ kind: 'delay', ms: 5_000, match: { run: runId, step: 2 } }]);
    const handle = await startSlow('openai:stub-model?rounds=40', runId);
    await eventually(async () => requestsOf(runId).some((r) => r.key.step === 2), 'step 2 to reach the stub');
    const sent = Date.now();
    await handle.cancel();
    await assert.rejects(
      handle.result(),
      (err: { name?: string; type?: string }) => err.name === 'AgentError' && err.type === 'Cancelled',
    );
    const tookMs = Date.now() - sent;
    assert.ok(tookMs < 3_000, `cancel took ${tookMs} ms`);
    const state = await handle.state();
    assert.equal(state.status, 'cancelled');
    assert.equal(state.step, 1);
    await untilListed(runId, 'cancelled');
    const inFlight = await endedRequest(runId, 2);
    assert.equal(inFlight.outcome, 'client-closed');
    assert.equal(requestsOf(runId).length, 2);
  });
});

describe('through agentctl', () => {
  test('pause, state, resume, stop', async () => {
    const handle = await startSlow();
    await untilState(handle, 'a step done', (s) => s.step >= 1);
    const pause = await agentctl('pause', handle.runId, '--json');
    assert.equal(pause.code, 0, pause.stderr);
    assert.deepEqual(JSON.parse(pause.stdout), { runId: handle.runId, requested: 'pause' });
    const paused = await untilState(handle, 'paused', (s) => s.status === 'paused', 5_000);

    const state = await agentctl('state', handle.runId, '--json');
    assert.equal(state.code, 0, state.stderr);
    const shown = JSON.parse(state.stdout);
    assert.equal(shown.status, 'paused');
    assert.equal(shown.step, paused.step, 'no step while paused');

    const resume = await agentctl('resume', handle.runId);
    assert.equal(resume.code, 0, resume.stderr);
    assert.equal(resume.stdout, `resume requested for ${handle.runId}\n`);
    await untilState(handle, 'running again', (s) => s.status === 'running' && s.step > paused.step);

    const stop = await agentctl('stop', handle.runId);
    assert.equal(stop.code, 0, stop.stderr);
    const result = await handle.result();
    assert.equal(result.status, 'stopped');
    assert.ok(result.steps > paused.step && result.steps < maxSteps);
  });

  test('stop takes effect within seconds, not after the model call (5 s)', async () => {
    const handle = await startSlow('scripted:auto?rounds=40&delayMs=5000');
    await untilState(handle, 'started', (s) => s.status === 'running');
    const stop = await agentctl('stop', handle.runId, '--json');
    assert.equal(stop.code, 0, stop.stderr);
    // Timed from the signal's delivery (spawning agentctl itself can take seconds on a loaded machine).
    const sent = Date.now();
    const result = await handle.result();
    assert.ok(Date.now() - sent < 4_000, `stop took ${Date.now() - sent} ms after delivery`);
    assert.equal(result.finishReason, 'stopped');
    assert.equal(result.steps, 0);
    assert.equal(result.usage.modelCalls, 0);
  });

  test('cancel: the run ends cancelled and result exits 1 with Cancelled', async () => {
    const handle = await startSlow('scripted:auto?rounds=40&delayMs=5000');
    await untilState(handle, 'started', (s) => s.status === 'running');
    const cancel = await agentctl('cancel', handle.runId);
    assert.equal(cancel.code, 0, cancel.stderr);
    assert.equal(cancel.stdout, `cancellation requested for ${handle.runId}\n`);
    // Timed from delivery: spawning agentctl can take seconds on a loaded machine; the call takes 5 s.
    const sent = Date.now();
    await assert.rejects(handle.result(), (err: { type?: string }) => err.type === 'Cancelled');
    assert.ok(Date.now() - sent < 4_000, `cancel took ${Date.now() - sent} ms after delivery`);

    const [state, result] = await Promise.all([
      agentctl('state', handle.runId, '--json'),
      agentctl('result', handle.runId),
    ]);
    assert.equal(JSON.parse(state.stdout).status, 'cancelled');
    assert.equal(result.code, 1);
    assert.equal(result.stdout, '');
    assert.match(result.stderr, new RegExp(`^error: Cancelled: Run ${handle.runId} was cancelled\\n$`));
  });
});

describe('through the temporal CLI', () => {
  test('pause, resume and stop by signal name', async () => {
    const handle = await startSlow();
    await untilState(handle, 'a step done', (s) => s.step >= 1);
    const paused = await pauseAndHold(handle, () => temporalSignal(handle.runId, 'pause'));
    await temporalSignal(handle.runId, 'resume');
    const resumed = await untilState(handle, 'running again', (s) => s.status === 'running' && s.step > paused.step);
    assert.equal(resumed.pauseRequested, false);
    await temporalSignal(handle.runId, 'stop');
    const result = await handle.result();
    assert.equal(result.status, 'stopped');
    assert.equal(result.finishReason, 'stopped');
    assert.ok(result.steps > paused.step && result.steps < maxSteps);
  });
});
