// Tests for llm-stub/: the real ChatOpenAI client against the stub, each fault kind, the request log and the admin API.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { ToolMessage } from '@langchain/core/messages';
import { getRetryable } from '@langchain/core/errors';
import { tool } from '@langchain/core/tools';
import { ChatOpenAI, type ChatOpenAIFields } from '@langchain/openai';
import { z } from 'zod';
import { startLlmStub, type Fault, type LlmStub, type LoggedRequest } from '../../llm-stub';

const calculator = tool(async ({ expression }) => String(Function(`return (${expression})`)()), {
  name: 'calculator',
  description: 'Evaluates an arithmetic expression.',
  schema: z.object({ expression: z.string() }),
});

let stub: LlmStub;
before(async () => {
  stub = await startLlmStub();
});
after(() => stub.close());
beforeEach(() => {
  stub.clearFaults();
  stub.clearRequests();
});

function chat(options: { run?: string; model?: string } & Partial<ChatOpenAIFields> = {}): ChatOpenAI {
  const { run = 'r1', model = 'stub-model', ...fields } = options;
  return new ChatOpenAI({
    model,
    apiKey: 'test-key',
    maxRetries: 0,
    configuration: {
      baseURL: stub.url,
      defaultHeaders: { 'x-agent-run': run, 'x-agent-step': '1', 'x-agent-attempt': '1' },
    },
    ...fields,
  });
}

/** The error `work` rejects with; fails the test if it resolves. */
async function caught(work: () => Promise<unknown>): Promise<any> {
  try {
    await work();
  } catch (err) {
    return err;
  }
  assert.fail('expected the model call to fail');
}

/** The only logged request, once it has finished (the stub may see a client hang-up after the client does). */
async function onlyRequest(): Promise<LoggedRequest> {
  for (let i = 0; i < 100 && stub.requests().some((r) => r.outcome === 'pending'); i++)
    await new Promise((r) => setTimeout(r, 10));
  const requests = stub.requests();
  assert.equal(requests.length, 1, JSON.stringify(requests));
  return requests[0];
}

async function withFault(fault: Fault, work: () => Promise<unknown>): Promise<{ err: any; logged: LoggedRequest }> {
  stub.addFaults([fault]);
  const err = await caught(work);
  const logged = await onlyRequest();
  assert.deepEqual(logged.fault, fault);
  assert.deepEqual(logged.key, { run: 'r1', step: 1, attempt: 1 });
  return { err, logged };
}

async function drain(model: ChatOpenAI, input: string, received: unknown[] = []): Promise<void> {
  for await (const chunk of await model.stream(input)) received.push(chunk);
}

describe('replies through ChatOpenAI', () => {
  test('plain reply with usage, logged with its key and without the API key', async () => {
    const reply = await chat().invoke('hello stub');
    assert.equal(reply.content, 'Scripted reply (turn 1): you said "hello stub".');
    assert.ok(reply.usage_metadata && reply.usage_metadata.input_tokens > 0 && reply.usage_metadata.output_tokens > 0);
    const { seq, time, durationMs, ...logged } = await onlyRequest();
    assert.ok(seq > 0 && !Number.isNaN(Date.parse(time)) && durationMs >= 0);
    assert.deepEqual(logged, {
      method: 'POST',
      path: '/v1/chat/completions',
      key: { run: 'r1', step: 1, attempt: 1 },
      authorization: true,
      model: 'stub-model',
      stream: false,
      messageCount: 1,
      tools: [],
      status: 200,
      outcome: 'ok',
    });
    assert.ok(!JSON.stringify(stub.requests()).includes('test-key'));
  });

  test('tool calls parse, and tool results round-trip', async () => {
    const model = chat().bindTools([calculator]);
    const first = await model.invoke('What is 2 + 3?');
    assert.deepEqual(first.tool_calls, [
      { name: 'calculator', args: { expression: '2 + 3' }, type: 'tool_call', id: 'call_1' },
    ]);
    const result = new ToolMessage({ content: '5', tool_call_id: 'call_1', name: 'calculator' });
    const second = await model.invoke([{ role: 'user', content: 'What is 2 + 3?' }, first, result]);
    assert.equal(second.content, 'The answer is 5.');
    assert.deepEqual(
      stub.requests().map((r) => [r.tools, r.messageCount]),
      [
        [['calculator'], 1],
        [['calculator'], 3],
      ],
    );
  });

  test('brain params come from the model name query', async () => {
    const reply = await chat({ model: 'stub-model?rounds=2&pad=10' }).bindTools([calculator]).invoke('go');
    assert.equal(reply.content, `Step 1: computing. ${'.'.repeat(10)}`);
    assert.equal(reply.tool_calls?.[0].args.expression, '1 * 2');
  });

  test('streaming yields content pieces, tool call chunks and usage', async () => {
    const chunks: any[] = [];
    await drain(chat(), 'tell me something long', chunks);
    assert.ok(chunks.length > 3, `only ${chunks.length} chunks`);
    const whole = chunks.reduce((a, b) => a.concat(b));
    assert.equal(whole.content, 'Scripted reply (turn 1): you said "tell me something long".');
    assert.ok(
      whole.usage_metadata.input_tokens > 0 && whole.usage_metadata.total_tokens > whole.usage_metadata.input_tokens,
    );

    let toolChunk: any;
    for await (const chunk of await chat().bindTools([calculator]).stream('What is (12 + 30) * 2?'))
      toolChunk = toolChunk ? toolChunk.concat(chunk) : chunk;
    assert.deepEqual(toolChunk.tool_calls, [
      { name: 'calculator', args: { expression: '(12 + 30) * 2' }, id: 'call_1', type: 'tool_call' },
    ]);
    assert.deepEqual(
      stub.requests().map((r) => [r.stream, r.outcome]),
      [
        [true, 'ok'],
        [true, 'ok'],
      ],
    );
  });
});

describe('faults as ChatOpenAI surfaces them', () => {
  test('429 with Retry-After: RateLimitError, status 429, retryable', async () => {
    const { err, logged } = await withFault({ kind: 'status', status: 429, retryAfterSeconds: 2 }, () =>
      chat().invoke('hi'),
    );
    assert.equal(err.constructor.name, 'RateLimitError');
    assert.equal(err.status, 429);
    assert.equal(err.lc_error_code, 'MODEL_RATE_LIMIT');
    assert.equal(err.headers.get('retry-after'), '2');
    assert.equal(err.retryAfterMs, 2000);
    assert.equal(getRetryable(err), true);
    assert.deepEqual([logged.status, logged.outcome], [429, 'fault']);
  });

  test('429 without Retry-After is a RateLimitCapacityError; insufficient_quota is not retryable', async () => {
    const { err } = await withFault({ kind: 'status', status: 429 }, () => chat().invoke('hi'));
    assert.deepEqual([err.name, err.status, getRetryable(err)], ['RateLimitCapacityError', 429, true]);
    stub.clearRequests();
    const quota = await withFault(
      { kind: 'status', status: 429, type: 'insufficient_quota', code: 'insufficient_quota' },
      () => chat().invoke('hi'),
    );
    assert.deepEqual(
      [quota.err.name, quota.err.code, getRetryable(quota.err)],
      ['InsufficientQuotaError', 'insufficient_quota', false],
    );
  });

  for (const [status, className, retryable] of [
    [500, 'InternalServerError', undefined],
    [503, 'InternalServerError', undefined],
    [400, 'BadRequestError', false],
    [401, 'AuthenticationError', false],
  ] as const) {
    test(`${status}: ${className}`, async () => {
      const { err, logged } = await withFault({ kind: 'status', status }, () => chat().invoke('hi'));
      assert.deepEqual(
        [err.constructor.name, err.status, getRetryable(err), logged.status],
        [className, status, retryable, status],
      );
      assert.equal(typeof err.error?.message, 'string');
    });
  }

  test('hang: TimeoutError from the timeout option; logged as client-closed', async () => {
    const { err, logged } = await withFault({ kind: 'hang' }, () => chat({ timeout: 200 }).invoke('hi'));
    assert.deepEqual([err.name, getRetryable(err)], ['TimeoutError', true]);
    assert.deepEqual([logged.status, logged.outcome], [undefined, 'client-closed']);
  });

  test('delay: slow but normal reply; stops early when the client gives up', async () => {
    stub.addFaults([{ kind: 'delay', ms: 150 }]);
    assert.match(String((await chat().invoke('hi')).content), /Scripted reply/);
    assert.ok((await onlyRequest()).durationMs >= 140);
    stub.clearRequests();
    const { err, logged } = await withFault({ kind: 'delay', ms: 5000 }, () => chat({ timeout: 150 }).invoke('hi'));
    assert.equal(err.name, 'TimeoutError');
    assert.equal(logged.outcome, 'client-closed');
    assert.ok(logged.durationMs < 2000, `took ${logged.durationMs} ms`);
  });

  test('reset before the response: APIConnectionError caused by ECONNRESET', async () => {
    const { err, logged } = await withFault({ kind: 'reset' }, () => chat().invoke('hi'));
    assert.equal(err.constructor.name, 'APIConnectionError');
    assert.equal(err.cause?.cause?.code, 'ECONNRESET');
    assert.deepEqual([logged.status, logged.outcome], [undefined, 'fault']);
  });

  test('reset mid-stream: chunks arrive, then TypeError "terminated" (UND_ERR_SOCKET)', async () => {
    const received: unknown[] = [];
    const { err, logged } = await withFault({ kind: 'reset', afterChunks: 2 }, () =>
      drain(chat(), 'hello there friend', received),
    );
    assert.ok(received.length >= 1);
    assert.deepEqual([err.name, err.message, err.cause?.code], ['TypeError', 'terminated', 'UND_ERR_SOCKET']);
    assert.deepEqual([logged.stream, logged.status, logged.outcome], [true, 200, 'fault']);
  });

  test('malformed JSON: SyntaxError, streaming or not', async () => {
    const { err } = await withFault({ kind: 'malformed-json' }, () => chat().invoke('hi'));
    assert.equal(err.name, 'SyntaxError');
    stub.clearRequests();
    const streamed = await withFault({ kind: 'malformed-json' }, () => drain(chat(), 'hi'));
    assert.equal(streamed.err.name, 'SyntaxError');
    assert.equal(streamed.logged.status, 200);
  });

  test('bad tool calls: invalid JSON lands in invalid_tool_calls; other variants pass through', async () => {
    const model = chat().bindTools([calculator]);
    stub.addFaults([
      { kind: 'bad-tool-call' },
      { kind: 'bad-tool-call' },
      { kind: 'bad-tool-call', variant: 'not-object' },
      { kind: 'bad-tool-call', variant: 'unknown-tool' },
    ]);
    const invalid = await model.invoke('What is 1 + 1?');
    assert.deepEqual([invalid.tool_calls, invalid.invalid_tool_calls?.[0].args], [[], '{"expression": 1 + }']);
    let streamed: any;
    for await (const chunk of await model.stream('What is 1 + 1?'))
      streamed = streamed ? streamed.concat(chunk) : chunk;
    assert.deepEqual([streamed.tool_calls, streamed.invalid_tool_calls.length], [[], 1]);
    assert.deepEqual((await model.invoke('What is 1 + 1?')).tool_calls?.[0].args, ['1 + 1']);
    assert.equal((await model.invoke('What is 1 + 1?')).tool_calls?.[0].name, 'no_such_tool');
    assert.ok(
      stub.requests().every((r) => r.fault?.kind === 'bad-tool-call' && r.outcome === 'fault' && r.status === 200),
    );
  });
});

describe('fault queue and admin API', () => {
  test('match.run, times and FIFO order', async () => {
    stub.addFaults([
      { kind: 'status', status: 500, match: { run: 'r2' }, times: 2 },
      { kind: 'status', status: 503 },
      { kind: 'status', status: 401 },
    ]);
    assert.equal((await caught(() => chat({ run: 'r2' }).invoke('hi'))).status, 500);
    assert.equal((await caught(() => chat({ run: 'r1' }).invoke('hi'))).status, 503);
    assert.equal((await caught(() => chat({ run: 'r2' }).invoke('hi'))).status, 500);
    assert.equal((await caught(() => chat({ run: 'r2' }).invoke('hi'))).status, 401);
    await chat({ run: 'r2' }).invoke('hi');
    assert.deepEqual(
      stub.requests().map((r) => `${r.key.run}:${r.status}`),
      ['r2:500', 'r1:503', 'r2:500', 'r2:401', 'r2:200'],
    );
    assert.deepEqual(stub.pendingFaults(), []);
  });

  test('admin endpoints over HTTP, and invalid requests get OpenAI-style 400s', async () => {
    const base = stub.url.replace(/\/v1$/, '');
    const call = async (method: string, path: string, body?: string): Promise<{ status: number; json: any }> => {
      const res = await fetch(base + path, { method, body, headers: { 'content-type': 'application/json' } });
      return { status: res.status, json: await res.json() };
    };
    const bad = await call('POST', '/_stub/faults', JSON.stringify([{ kind: 'status', status: 429, retryAfter: 1 }]));
    assert.equal(bad.status, 400);
    assert.match(bad.json.error.message, /retryAfter/);
    assert.equal((await call('POST', '/_stub/faults', JSON.stringify({ kind: 'status', status: 500 }))).status, 200);
    assert.deepEqual((await call('GET', '/_stub/faults')).json, [{ kind: 'status', status: 500, times: 1 }]);

    const invalid = await call(
      'POST',
      '/v1/chat/completions',
      JSON.stringify({ model: 'stub-model', messages: [{ role: 'robot', content: 'x' }] }),
    );
    assert.deepEqual(
      [invalid.status, invalid.json.error.type, invalid.json.error.param],
      [400, 'invalid_request_error', 'messages.0.role'],
    );
    assert.equal((await call('POST', '/v1/chat/completions', '{not json')).status, 400);
    assert.equal((await call('GET', '/v1/models')).json.data[0].id, 'stub-model');
    assert.equal(stub.pendingFaults().length, 1, 'invalid requests must not consume faults');

    assert.deepEqual((await call('GET', '/_stub/requests?run=nobody')).json, []);
    assert.deepEqual(
      (await call('GET', '/_stub/requests')).json.map((r: LoggedRequest) => r.outcome),
      ['rejected', 'rejected', 'ok'],
    );
    assert.deepEqual((await call('DELETE', '/_stub/faults')).json, { cleared: 1 });
    assert.deepEqual((await call('DELETE', '/_stub/requests')).json, { cleared: 3 });
    assert.deepEqual((await call('GET', '/_stub/health')).json, { ok: true, pendingFaults: 0, requests: 0 });
  });

  test('startup faults and a JSONL log file without secrets', async () => {
    const logFile = join(mkdtempSync(join(tmpdir(), 'llm-stub-')), 'requests.jsonl');
    const own = await startLlmStub({ logFile, faults: [{ kind: 'status', status: 503 }] });
    try {
      const model = new ChatOpenAI({
        model: 'stub-model',
        apiKey: 'secret-key',
        maxRetries: 0,
        configuration: { baseURL: own.url },
      });
      assert.equal((await caught(() => model.invoke('hi'))).status, 503);
      await model.invoke('hi');
    } finally {
      await own.close();
    }
    const text = readFileSync(logFile, 'utf8');
    assert.ok(!text.includes('secret-key'));
    const lines = text
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    assert.deepEqual(
      lines.map((l) => [l.status, l.outcome, l.authorization, l.key]),
      [
        [503, 'fault', true, {}],
        [200, 'ok', true, {}],
      ],
    );
  });

  test('CLI prints its URL and takes --faults', async () => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'llm-stub/main.ts', '--port', '0', '--faults', '{"kind":"status","status":429}'],
      { cwd: join(__dirname, '../..') },
    );
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (data) => {
          out += data;
          const match = /listening on (\S+)/.exec(out);
          if (match) resolve(match[1]);
        });
        child.once('exit', (code) => reject(new Error(`CLI exited with ${code}: ${out}`)));
      });
      const res = await fetch(`${url}/chat/completions`, {
        method: 'POST',
        body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }),
      });
      assert.equal(res.status, 429);
    } finally {
      child.kill('SIGTERM');
    }
  });
});
