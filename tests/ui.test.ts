/**
 * The Temporal Web UI as an operator console, proven in a real browser (Debian chromium via playwright-core):
 * pause and resume a run with More Actions -> Send a Signal, approve a pending tool call and send a session turn
 * with Send an Update, each checked through our client; the lists offer only our controls, and the run's page shows
 * the activities' summaries.
 * Screenshots of every step are kept under .data/artifacts/ui/ (the path is printed).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { AgentClient, SessionManager } from '../client';
import { startLlmStub, type LlmStub } from '../llm-stub';
import { createAgentWorker } from '../worker/create-worker';
import { ensureSearchAttributes } from '../worker/search-attributes';
import { startDevServer, type DevServer } from '../testing/dev-server';
import { eventually, uniqueTaskQueue } from '../testing/environment';
import {
  describedMessages,
  launchUi,
  openWorkflow,
  sendMessage,
  waitForStatus,
  type UiBrowser,
} from './helpers/temporal-ui';

let dir: string;
let server: DevServer;
let stub: LlmStub;
let nativeConnection: NativeConnection;
let connection: Connection;
let worker: Worker;
let running: Promise<void>;
let agents: AgentClient;
let sessions: SessionManager;
let ui: UiBrowser;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ui-test-'));
  server = await startDevServer({ dbFilename: join(dir, 'temporal.db'), ui: true });
  stub = await startLlmStub();
  nativeConnection = await NativeConnection.connect({ address: server.address });
  await ensureSearchAttributes(nativeConnection, 'default');
  const taskQueue = uniqueTaskQueue('ui');
  worker = await createAgentWorker({
    connection: nativeConnection,
    namespace: 'default',
    taskQueue,
    activities: { providerEnv: { OPENAI_API_KEY: 'test-key', OPENAI_BASE_URL: stub.url } },
    // Every tool call an activity task of its own, so the timeline shows each with its summary (AGENT_LOCAL_TOOLS=0).
    agents: { localTools: false },
  });
  running = worker.run();
  connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection });
  agents = new AgentClient(client, { taskQueue });
  sessions = new SessionManager(client, { taskQueue });
  ui = await launchUi('console');
  console.log(`UI screenshots: ${ui.artifacts}`);
});

after(async () => {
  await ui?.close();
  worker?.shutdown();
  await running;
  await connection?.close();
  await nativeConnection?.close();
  await stub?.close();
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** The workflow's own messages in a Send a Signal / Send an Update list (`<name> <description>` lines), by name. */
function offeredNames(offered: string[]): string[] {
  // The UI adds its own entry for typing any name ("Custom Input Signal name"): not one of the workflow's.
  return offered
    .filter((o) => o !== 'Custom' && !o.startsWith('Custom '))
    .map((o) => o.split(' ')[0])
    .sort();
}

/** Runs a UI test body; on failure the page as it was is kept as `<name>-failed.png`. */
function uiTest(name: string, body: () => Promise<void>) {
  test(name, async () => {
    try {
      await body();
    } catch (err) {
      await ui.screenshot('failed').catch(() => undefined);
      throw err;
    }
  });
}

uiTest('pause and resume a run from the Web UI with Send a Signal', async () => {
  const { page } = ui;
  // Every model call takes a second while the browser works, so the run is still going when the pause arrives;
  // the delays are dropped before resuming so the rest runs at full speed.
  stub.addFaults([{ kind: 'delay', ms: 1000, times: 10_000 }]);
  const rounds = 60;
  const run = await agents.start({
    template: 'react',
    input: { task: 'count', maxSteps: rounds + 5 },
    model: `openai:stub-model?rounds=${rounds}`,
    user: 'operator',
  });

  await openWorkflow(page, server.uiUrl!, run.runId);
  await waitForStatus(page, 'RUNNING');
  await ui.screenshot('running');

  // What the UI offers operators: our control signals, each with its description, and nothing internal
  // (token batches and failed-attempt reports go through the default signal handler, which the UI does not list).
  const offered = await describedMessages(page, 'Signal');
  for (const name of ['pause', 'resume', 'stop'])
    assert.ok(
      offered.some((o) => o.startsWith(`${name} `)),
      `${name} offered with a description: ${offered.join(' / ')}`,
    );
  assert.deepEqual(offeredNames(offered), ['pause', 'resume', 'stop'], offered.join(' / '));

  await sendMessage(page, 'Signal', 'pause');
  await ui.screenshot('pause-sent');
  const paused = await eventually(
    async () => {
      const state = await run.state();
      return state.status === 'paused' && state;
    },
    'the run to park after the pause signal',
    60_000,
  );
  assert.ok(paused.step < rounds, `paused before the end (step ${paused.step})`);
  await page.reload();
  await page.getByRole('button', { name: 'More Actions' }).waitFor();
  await ui.screenshot('paused');

  stub.clearFaults();
  await sendMessage(page, 'Signal', 'resume');
  await ui.screenshot('resume-sent');
  const result = await run.result();
  assert.equal(result.status, 'completed');
  assert.equal(result.finishReason, 'answer');
  assert.equal(result.steps, rounds + 1);
  assert.equal((await run.state()).status, 'completed');
  await waitForStatus(page, 'COMPLETED');
  await ui.screenshot('completed');
});

uiTest(
  'approve a pending tool call from the Web UI with Send an Update; the timeline shows the summaries',
  async () => {
    const { page } = ui;
    const run = await agents.start({
      template: 'react',
      input: { task: 'call calculator {"expression":"6*7"}' },
      model: 'scripted:auto?parallel=1',
      user: 'operator',
      options: { approval: { tools: ['calculator'] } },
    });
    const waiting = await eventually(async () => {
      const state = await run.state();
      return state.status === 'awaiting_approval' && state;
    }, 'the run to await approval');
    const [pending] = waiting.pendingApprovals!;

    await openWorkflow(page, server.uiUrl!, run.runId);
    const offered = await describedMessages(page, 'Update');
    assert.deepEqual(offeredNames(offered), ['approve', 'reject'], offered.join(' / '));
    assert.ok(
      offered.some((o) => o.startsWith('approve Approve a tool call')),
      offered.join(' / '),
    );
    await ui.screenshot('awaiting-approval');

    await sendMessage(page, 'Update', 'approve', { callId: pending.callId });
    await ui.screenshot('approve-sent');
    const result = await run.result();
    assert.match(result.answer, /Tool results: 42$/);
    const state = await run.state();
    assert.equal(state.status, 'completed');
    assert.deepEqual(state.pendingApprovals, []);
    assert.equal(state.usage.toolCalls, 1);

    // The run's page tells its story in the activities' summaries.
    await page.reload();
    await waitForStatus(page, 'COMPLETED');
    // The timeline labels each activity `<type> • <summary>`.
    for (const label of [
      'invokeModel • step 1 · scripted:auto',
      'callTool • calculator(6*7)',
      'invokeModel • step 2 · scripted:auto',
    ])
      await page.getByText(label).first().waitFor();
    await ui.screenshot('timeline');
  },
);

uiTest('send an update from the Web UI with Send an Update (a session turn)', async () => {
  const { page } = ui;
  const session = await sessions.create({ user: 'operator', template: 'chat', model: 'openai:stub-model' });
  await openWorkflow(page, server.uiUrl!, session.sessionId);
  const offered = await describedMessages(page, 'Update');
  for (const start of ['sendMessage Run one agent turn', 'close Close the session'])
    assert.ok(
      offered.some((o) => o.startsWith(start)),
      offered.join(' / '),
    );
  await ui.screenshot('session-open');

  await sendMessage(page, 'Update', 'sendMessage', { message: 'Hello from the console' });
  await ui.screenshot('update-sent');
  const state = await session.state();
  assert.equal(state.turns, 1);
  const checkpoint = await session.checkpoint(1);
  assert.ok(
    checkpoint.messages.some((m) => m.role === 'user' && m.content === 'Hello from the console'),
    JSON.stringify(checkpoint.messages),
  );
  await session.close();
});
