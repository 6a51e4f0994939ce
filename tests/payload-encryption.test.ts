/**
 * Payloads at rest through the real stack: a worker and client with the encryption codec run every template;
 * the raw history (read by a client without the codec) holds no prompt or answer, every payload in it is
 * `binary/encrypted`, it replays with the codec (after a key rotation too) and not without it, and the codec
 * server decodes a payload taken from it.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Client } from '@temporalio/client';
import type { Payload } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { conversationQuery } from '../agents/messages';
import { AgentClient } from '../client';
import { createDataConverter, createPayloadCodecs, loadPayloadCodecSettings, startCodecServer } from '../codec';
import { createAgentWorker } from '../worker/create-worker';
import { EventBus } from '../worker/events/event-bus';
import { agentSinks } from '../worker/sinks';
import { loadWorkflowBundle } from '../worker/workflow-bundle';
import { startDevEnvironment, uniqueTaskQueue } from '../testing/environment';

const keyA = `a:${randomBytes(32).toString('base64')}`;
const keyB = `b:${randomBytes(32).toString('base64')}`;
const blobDir = mkdtempSync(join(tmpdir(), 'encrypted-blobs-'));
const codecEnv = { AGENT_PAYLOAD_KEYS: keyA, AGENT_BLOB_DIR: blobDir };
const rotatedEnv = { AGENT_PAYLOAD_KEYS: `${keyA},${keyB}`, AGENT_PAYLOAD_KEY_ID: 'b', AGENT_BLOB_DIR: blobDir };
const marker = `marker-${randomUUID()}`;
const personSchema = {
  type: 'object',
  properties: { name: { type: 'string' }, age: { type: 'integer' } },
  required: ['name', 'age'],
};

let env: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;
let agents: AgentClient;
const runs: { name: string; runId: string; secrets: string[] }[] = [];

before(async () => {
  env = await startDevEnvironment();
  const taskQueue = uniqueTaskQueue('encrypted');
  const namespace = env.namespace ?? 'default';
  const dataConverter = createDataConverter(codecEnv);
  worker = await createAgentWorker({
    connection: env.nativeConnection,
    namespace,
    taskQueue,
    activities: { providerEnv: {} },
    dataConverter,
  });
  running = worker.run();
  agents = new AgentClient(new Client({ connection: env.connection, namespace, dataConverter }), { taskQueue });
});

after(async () => {
  worker.shutdown();
  await running;
  await env.teardown();
  rmSync(blobDir, { recursive: true, force: true });
});

/** Every payload in a history event except search attributes, which Temporal indexes and never encodes. */
function payloadsIn(value: unknown, found: Payload[] = []): Payload[] {
  if (!value || typeof value !== 'object' || ArrayBuffer.isView(value)) return found;
  const record = value as Record<string, unknown>;
  if (record.metadata && typeof record.metadata === 'object' && 'data' in record) found.push(record as Payload);
  for (const [key, child] of Object.entries(record)) if (key !== 'searchAttributes') payloadsIn(child, found);
  return found;
}

/**
 * SDK markers carry the SDK's own bookkeeping in plain JSON: a local activity's (our short tools) `data` detail
 * (sequence, attempt, activity type, times; its result is encoded like every payload) and a patch's `patch-data`
 * (the patch id). Checked here to hold only that, then left out of the encodings check.
 */
const sdkMarkerDetails: Record<string, { detail: string; keys: string[] }> = {
  core_local_activity: {
    detail: 'data',
    keys: ['seq', 'attempt', 'activity_id', 'activity_type', 'complete_time', 'backoff', 'original_schedule_time'],
  },
  core_patch: { detail: 'patch-data', keys: ['id', 'deprecated'] },
};

function withoutSdkMarkerDetails(event: temporal.api.history.v1.IHistoryEvent): unknown {
  const marker = event.markerRecordedEventAttributes;
  const known = marker?.markerName ? sdkMarkerDetails[marker.markerName] : undefined;
  if (!marker || !known) return event;
  const { [known.detail]: bookkeeping, ...details } = marker.details ?? {};
  for (const p of bookkeeping?.payloads ?? []) {
    const keys = Object.keys(JSON.parse(Buffer.from(p.data!).toString()) as object);
    assert.deepEqual(
      keys.filter((k) => !known.keys.includes(k)),
      [],
      `${marker.markerName} marker holds only the SDK's bookkeeping: ${keys.join(', ')}`,
    );
  }
  return { ...event, markerRecordedEventAttributes: { ...marker, details } };
}

const rawHistory = (runId: string) => env.client.workflow.getHandle(runId).fetchHistory();

test('every template runs with encrypted payloads and answers readably through the codec client', async () => {
  const chat = await agents.start({
    template: 'chat',
    input: { message: `hello ${marker}` },
    user: 'alice',
    options: { streamTokens: true },
    model: 'scripted:auto',
  });
  const chatResult = await chat.result();
  assert.match(chatResult.answer, new RegExp(marker));
  runs.push({ name: 'chat', runId: chat.runId, secrets: [marker, 'Scripted reply'] });

  const react = await agents.start({
    template: 'react',
    input: { task: `What is (12 + 30) * 2? ${marker}` },
    user: 'alice',
    model: 'scripted:auto',
  });
  assert.equal((await react.result()).answer, 'The answer is 84.');
  runs.push({ name: 'react', runId: react.runId, secrets: [marker, 'The answer is 84', '(12 + 30) * 2'] });

  const structured = await agents.start({
    template: 'structured',
    input: { prompt: `a person ${marker}`, schema: personSchema },
    user: 'alice',
    model: 'scripted:auto?invalidFirst=1',
  });
  assert.deepEqual((await structured.result()).output, { name: 'example', age: 42 });
  runs.push({
    name: 'structured',
    runId: structured.runId,
    secrets: [marker, '"name":"example"', 'did not satisfy the schema'],
  });
});

test('raw history holds no prompt or answer, and every payload is binary/encrypted with key "a"', async () => {
  assert.equal(runs.length, 3);
  for (const { name, runId, secrets } of runs) {
    const history = await rawHistory(runId);
    const bytes = Buffer.from(temporal.api.history.v1.History.encode(history).finish());
    for (const secret of secrets) assert.ok(!bytes.includes(secret), `${name}: "${secret}" is readable in history`);
    const payloads = (history.events ?? []).flatMap((e) => payloadsIn(withoutSdkMarkerDetails(e)));
    const encodings = new Set(
      payloads.map(
        (p) =>
          `${Buffer.from(p.metadata!.encoding!).toString()}/${Buffer.from(p.metadata!['encryption-key-id'] ?? []).toString()}`,
      ),
    );
    assert.deepEqual([...encodings], ['binary/encrypted/a'], `${name}: payload encodings in history`);
    // Query results are encoded by the worker too: the activity's client reads them only because it has the codec.
    await assert.rejects(
      env.client.workflow.getHandle(runId).query(conversationQuery, { from: 0, to: 100 }),
      /Unknown encoding: binary\/encrypted/,
    );
    console.log(
      `${name}: ${history.events?.length} events, ${bytes.length} bytes, ${payloads.length} payloads, all binary/encrypted`,
    );
  }
});

test('histories replay with the codec, also after rotating to key "b"; without the codec they cannot', async () => {
  const workflowBundle = await loadWorkflowBundle();
  const sinks = agentSinks(new EventBus());
  for (const { runId } of runs) {
    const history = await rawHistory(runId);
    await Worker.runReplayHistory(
      { workflowBundle, sinks, dataConverter: createDataConverter(codecEnv) },
      history,
      runId,
    );
    await Worker.runReplayHistory(
      { workflowBundle, sinks, dataConverter: createDataConverter(rotatedEnv) },
      history,
      runId,
    );
  }
  // Without the codec the workflow cannot even read its input (the SDK logs the failed task as a warning).
  const { runId } = runs[0];
  await assert.rejects(
    Worker.runReplayHistory({ workflowBundle, sinks }, await rawHistory(runId), runId),
    /Unknown encoding: binary\/encrypted/,
  );
  const rotated = new Client({
    connection: env.connection,
    namespace: env.namespace,
    dataConverter: createDataConverter(rotatedEnv),
  });
  assert.equal((await rotated.workflow.getHandle(runs[1].runId).result()).answer, 'The answer is 84.');
});

test('the codec server decodes a payload taken from history', async () => {
  const server = await startCodecServer({ codecs: createPayloadCodecs(loadPayloadCodecSettings(codecEnv)), port: 0 });
  try {
    const history = await rawHistory(runs[0].runId);
    const [input] = history.events![0].workflowExecutionStartedEventAttributes!.input!.payloads!;
    const b64 = (v: Uint8Array) => Buffer.from(v).toString('base64');
    const body = {
      payloads: [
        {
          metadata: Object.fromEntries(Object.entries(input.metadata!).map(([k, v]) => [k, b64(v)])),
          data: b64(input.data!),
        },
      ],
    };
    const res = await fetch(`${server.url}/decode`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-namespace': 'default' },
      body: JSON.stringify(body),
    });
    assert.equal(res.status, 200);
    const [decoded] = ((await res.json()) as { payloads: { metadata: Record<string, string>; data: string }[] })
      .payloads;
    assert.equal(Buffer.from(decoded.metadata.encoding, 'base64').toString(), 'json/plain');
    const runInput = JSON.parse(Buffer.from(decoded.data, 'base64').toString());
    // The run's recorded spec carries the user's message (the template input is resolved by the client).
    assert.equal(runInput.spec.messages.at(-1).content, `hello ${marker}`);
  } finally {
    await server.close();
  }
});
