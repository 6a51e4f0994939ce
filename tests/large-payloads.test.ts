/**
 * Large payloads by reference: a run whose conversation exceeds 5 MB continues as new several times while the
 * conversation is large and finishes, because the claim-check codec keeps every payload in history small. The
 * same run without the claim check gets stuck at its second continue-as-new (input over Temporal's 2 MB limit).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Client } from '@temporalio/client';
import type { DataConverter, Payload } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { AgentClient } from '../client';
import { createDataConverter } from '../codec';
import { createAgentWorker } from '../worker/create-worker';
import { startDevEnvironment, uniqueTaskQueue, eventually } from '../testing/environment';

const EventType = temporal.api.enums.v1.EventType;
const blobDir = mkdtempSync(join(tmpdir(), 'large-payloads-'));
// Each reply ~195 KB: a reply and its tool result fill one 200 KB conversation page, and stay inline in history.
const rounds = 33;
const pad = 195_000;
const run = {
  template: 'react',
  input: { task: 'count', maxSteps: 50 },
  user: 'bulk',
  model: `scripted:auto?rounds=${rounds}&pad=${pad}`,
  options: { historyEventLimit: 100 },
};

let env: TestWorkflowEnvironment;
const workers: { worker: Worker; running: Promise<void> }[] = [];

before(async () => {
  env = await startDevEnvironment();
});

after(async () => {
  for (const { worker, running } of workers) {
    worker.shutdown();
    await running;
  }
  await env.teardown();
  rmSync(blobDir, { recursive: true, force: true });
});

async function agentsWith(dataConverter: DataConverter): Promise<AgentClient> {
  const taskQueue = uniqueTaskQueue('large');
  const namespace = env.namespace ?? 'default';
  const worker = await createAgentWorker({
    connection: env.nativeConnection,
    namespace,
    taskQueue,
    activities: { providerEnv: {} },
    // Tool calls as activity tasks: the continue-as-new points (historyEventLimit: 100) fall where these figures
    // expect them, the first under the 2 MB payload limit and the later ones over it.
    agents: { localTools: false },
    dataConverter,
  });
  workers.push({ worker, running: worker.run() });
  const agents = new AgentClient(new Client({ connection: env.connection, namespace, dataConverter }), { taskQueue });
  // Runs record the worker's tools (not local) once it has published them.
  await eventually(async () => (await agents.catalog({ fresh: true })).origin === 'published', 'catalog published');
  return agents;
}

const payloadBytes = (p: Payload) => temporal.api.common.v1.Payload.encode(p).finish().length;

function payloadsIn(value: unknown, found: Payload[] = []): Payload[] {
  if (!value || typeof value !== 'object' || ArrayBuffer.isView(value)) return found;
  const record = value as Record<string, unknown>;
  if (record.metadata && typeof record.metadata === 'object' && 'data' in record) found.push(record as Payload);
  for (const child of Object.values(record)) payloadsIn(child, found);
  return found;
}

interface RunFigures {
  events: number;
  bytes: number;
  largestPayload: number;
  /** Encoding of the run's input and the size it stands for (a blob reference's `size`). */
  input: { encoding: string; bytes: number; refersTo?: number };
}

/** Every run of the chain, oldest first, read raw (payloads as stored). */
async function chainFigures(workflowId: string): Promise<RunFigures[]> {
  const figures: RunFigures[] = [];
  let runId: string | undefined;
  for (;;) {
    const history = await env.client.workflow.getHandle(workflowId, runId).fetchHistory();
    const events = history.events ?? [];
    const started = events[0].workflowExecutionStartedEventAttributes!;
    const [input] = started.input!.payloads!;
    const encoding = Buffer.from(input.metadata!.encoding!).toString();
    const refersTo =
      encoding === 'json/blob-ref' ? (JSON.parse(Buffer.from(input.data!).toString()).size as number) : undefined;
    figures.unshift({
      events: events.length,
      bytes: temporal.api.history.v1.History.encode(history).finish().length,
      largestPayload: Math.max(...events.flatMap((e) => payloadsIn(e)).map(payloadBytes)),
      input: { encoding, bytes: payloadBytes(input), refersTo },
    });
    runId = started.continuedExecutionRunId || undefined;
    if (!runId) return figures;
  }
}

function dirBytes(dir: string): { files: number; bytes: number } {
  let files = 0;
  let bytes = 0;
  for (const sub of readdirSync(dir)) {
    for (const file of readdirSync(join(dir, sub))) {
      files++;
      bytes += statSync(join(dir, sub, file)).size;
    }
  }
  return { files, bytes };
}

const mb = (n: number) => `${(n / 1e6).toFixed(2)} MB`;

test('a run whose conversation exceeds 5 MB finishes, every payload in history far below the limits', async () => {
  const codecEnv = { AGENT_PAYLOAD_KEYS: `k:${randomBytes(32).toString('base64')}`, AGENT_BLOB_DIR: blobDir };
  const codecs = createDataConverter(codecEnv).payloadCodecs!;
  const agents = await agentsWith({ payloadCodecs: codecs });
  const started = Date.now();
  const handle = await agents.start(run);
  const result = await handle.result();
  const seconds = (Date.now() - started) / 1000;
  assert.equal(result.steps, rounds + 1);
  assert.equal(result.answer.slice(0, 40), `Done after ${rounds} tool calls; last result ${rounds * 2}.`.slice(0, 40));

  // The last continue-as-new input, decoded as the workflow saw it: the conversation it carried. (Reading the
  // finished run's conversation by query would replay its last run once per 200 KB page.)
  const lastRun = await env.client.workflow.getHandle(handle.runId).fetchHistory();
  const [storedInput] = lastRun.events![0].workflowExecutionStartedEventAttributes!.input!.payloads!;
  const [decodedInput] = await [...codecs]
    .reverse()
    .reduce(async (acc, codec) => codec.decode(await acc), Promise.resolve([storedInput]));
  const carried = JSON.parse(Buffer.from(decodedInput.data!).toString()).carried as {
    messages: unknown[];
    step: number;
  };
  const carriedBytes = carried.messages.reduce<number>((sum, m) => sum + JSON.stringify(m).length, 0);
  const chain = await chainFigures(handle.runId);
  const blobs = dirBytes(blobDir);
  const largest = Math.max(...chain.map((r) => r.largestPayload));
  const largestInput = Math.max(...chain.map((r) => r.input.refersTo ?? r.input.bytes));

  console.log(
    `${result.steps} steps in ${seconds.toFixed(1)} s, ${chain.length - 1} continue-as-new; ` +
      `the last continue-as-new carried ${carried.messages.length} messages, ${mb(carriedBytes)} of conversation (after step ${carried.step})`,
  );
  console.log('run | events | history bytes | largest payload | input as stored');
  chain.forEach((r, i) =>
    console.log(
      `${i} | ${r.events} | ${r.bytes} | ${r.largestPayload} | ${r.input.encoding}, ${r.input.bytes} bytes${r.input.refersTo ? ` for ${mb(r.input.refersTo)} in the blob store` : ''}`,
    ),
  );
  console.log(
    `largest payload in any history: ${largest} bytes (limit 2 MB, warning at 512 KiB); largest continue-as-new input: ${mb(largestInput)}`,
  );
  console.log(`blob store: ${blobs.files} blobs, ${mb(blobs.bytes)} (encrypted)`);

  assert.ok(carriedBytes > 5_000_000, `the carried conversation is only ${carriedBytes} bytes`);
  assert.equal(result.usage.modelCalls, rounds + 1);
  assert.ok(chain.length >= 4, `only ${chain.length - 1} continue-as-new`);
  assert.ok(
    largestInput > 2 * 1024 * 1024,
    'no continue-as-new carried more than the 2 MB payload limit: the test proves nothing',
  );
  assert.ok(largest < 512 * 1024, `a payload of ${largest} bytes reached history`);
  assert.ok(
    chain.every((r) => r.bytes < 4_000_000 && r.events < 200),
    'a history grew past 4 MB or 200 events',
  );
  // Query pages stay under the threshold, so only continue-as-new inputs are stored.
  assert.ok(
    blobs.files <= chain.length && blobs.bytes < 20_000_000,
    `blob store holds ${blobs.files} blobs, ${blobs.bytes} bytes: query pages went there`,
  );
  assert.ok(chain.slice(1).every((r) => r.input.encoding === 'json/blob-ref' && r.input.bytes < 200));
  for (const sub of readdirSync(blobDir).slice(0, 3)) {
    const [file] = readdirSync(join(blobDir, sub));
    assert.ok(!readFileSync(join(blobDir, sub, file)).includes('Step 1: computing'), 'a blob holds plaintext');
  }
});

test('without the claim check the same run cannot continue as new: its input is over the 2 MB limit', async () => {
  const agents = await agentsWith(createDataConverter({ AGENT_BLOB_STORE: 'off' }));
  // Another user: the first test's user ledger holds payloads encrypted with a key this worker lacks.
  const handle = await agents.start({ ...run, user: 'bulk-plain' });
  // A run whose workflow task keeps failing cannot answer queries either: read the raw history instead.
  let message: string | undefined;
  for (
    const deadline = Date.now() + 90_000;
    !message && Date.now() < deadline;
    await new Promise((r) => setTimeout(r, 1000))
  ) {
    const history = await env.client.workflow.getHandle(handle.runId).fetchHistory();
    const failed = history.events?.find((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED);
    message = failed?.workflowTaskFailedEventAttributes?.failure?.message ?? undefined;
  }
  assert.ok(message, 'no workflow task failed within 90 s');
  const chain = await chainFigures(handle.runId);
  const current = await env.client.workflow.getHandle(handle.runId).fetchHistory();
  const [input] = current.events![0].workflowExecutionStartedEventAttributes!.input!.payloads!;
  const carried = JSON.parse(Buffer.from(input.data!).toString()).carried;
  console.log(
    `without claim check: the first continue-as-new carried ${mb(input.data!.length)} (${carried.messages.length} messages, inline); ` +
      `the second, about twice that, is refused and the run is stuck: ${message}`,
  );
  assert.match(message, /TMPRL1103.*exceeded the error limit/);
  assert.equal(chain.length, 2, 'the first continue-as-new (under 2 MB) should have worked, the second not');
  await handle.workflow.terminate('test: run without claim check cannot continue');
});
