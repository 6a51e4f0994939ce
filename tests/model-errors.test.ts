/**
 * Provider faults through the real @langchain/openai client and our stub: retryable ones are retried by
 * Temporal with backoff (honouring Retry-After), non-retryable ones fail the run once with a typed error.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type Fault, type LlmStub } from '../llm-stub';
import type { AgentClient } from '../client';
import { agentTestbed } from './helpers/testbed';

const testbed = agentTestbed({ name: 'faults', llmStub: true });
let stub: LlmStub;
let client: AgentClient;
before(async () => {
  ({ stub, client } = await testbed.start());
});
after(() => testbed.stop());

function callsOf(runId: string) {
  return stub.requests().filter((r) => r.path === '/v1/chat/completions' && r.key.run === runId);
}

const retried: [string, Fault[], number][] = [
  ['429 with Retry-After', [{ kind: 'status', status: 429, retryAfterSeconds: 2 }], 2],
  [
    '500 then 503',
    [
      { kind: 'status', status: 500 },
      { kind: 'status', status: 503 },
    ],
    3,
  ],
  ['a hung call (timeout)', [{ kind: 'hang' }], 2],
  ['connection reset', [{ kind: 'reset' }], 2],
  ['malformed JSON body', [{ kind: 'malformed-json' }], 2],
  ['tool call with unparseable arguments', [{ kind: 'bad-tool-call' }], 2],
];

for (const [name, faults, attempts] of retried) {
  test(`${name}: retried, then the run completes`, async () => {
    const runId = `fault-${name.replace(/\W+/g, '-')}`;
    stub.addFaults(faults.map((f) => ({ ...f, match: { run: runId } }) as Fault));
    const handle = await client.start({
      runId,
      template: 'react',
      input: { task: 'What is 2 + 3?' },
      model: 'openai:stub-model',
      user: 'u',
      options: { modelTimeoutSeconds: 2 },
    });
    const result = await handle.result();
    assert.equal(result.answer, 'The answer is 5.');
    const step1 = callsOf(runId).filter((r) => r.key.step === 1);
    assert.deepEqual(
      step1.map((r) => r.key.attempt),
      Array.from({ length: attempts }, (_, i) => i + 1),
    );
    assert.equal(result.usage.modelCalls, 2, 'failed attempts are not counted as model calls');
  });
}

test('Retry-After is honoured before the next attempt', () => {
  const [first, second] = callsOf('fault-429-with-Retry-After');
  const gapMs = Date.parse(second.time) - Date.parse(first.time);
  assert.ok(gapMs >= 1900, `retried after ${gapMs} ms, Retry-After said 2 s`);
});

for (const status of [400, 401, 404]) {
  test(`${status}: not retried, the run fails with ModelRejected`, async () => {
    const runId = `fault-${status}`;
    stub.addFaults([{ kind: 'status', status, match: { run: runId } } as Fault]);
    const handle = await client.start({
      runId,
      template: 'chat',
      input: { message: 'x' },
      model: 'openai:stub-model',
      user: 'u',
    });
    await assert.rejects(
      handle.result(),
      (err: { type?: string; message?: string }) =>
        err.type === 'ModelRejected' && err.message!.includes(String(status)),
    );
    assert.equal(callsOf(runId).length, 1);
    const state = await handle.state();
    assert.equal(state.status, 'failed');
    assert.equal(state.error?.type, 'ModelRejected');
  });
}
