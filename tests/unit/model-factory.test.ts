/**
 * Provider models (and their tool-bound variants) are shared by a worker's calls; each request still carries the
 * headers of its own call.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { HumanMessage } from '@langchain/core/messages';
import { parseModelSpec } from '../../agents/model-spec';
import { createChatModel, maxSharedModels, withCallHeaders } from '../../activities/models/factory';
import type { ProviderEnv } from '../../activities/models/provider-config';
import { bindToolsShared, maxBoundToolSets } from '../../activities/models/bound-tools';
import type { ModelTool } from '../../activities/middleware/types';
import { startLlmStub, type LlmStub } from '../../llm-stub/server';

let stub: LlmStub;
let env: ProviderEnv;

before(async () => {
  stub = await startLlmStub();
  env = { OPENAI_BASE_URL: stub.url };
});
after(() => stub.close());

function specOf(text: string) {
  const parsed = parseModelSpec(text);
  if ('error' in parsed) throw new Error(parsed.error);
  return parsed;
}
const spec = () => specOf('openai:stub-model');
const headersOf = (run: string, step: number) => ({
  'x-agent-run': run,
  'x-agent-step': String(step),
  'x-agent-attempt': '1',
});

test('calls of one model, timeout and provider settings share one model object', () => {
  const first = createChatModel(spec(), env, { timeoutMs: 30_000 });
  assert.equal(createChatModel(spec(), env, { timeoutMs: 30_000 }), first);
  assert.notEqual(createChatModel(spec(), env, { timeoutMs: 10_000 }), first);
  assert.notEqual(createChatModel(spec(), { ...env }, { timeoutMs: 30_000 }), first);
  assert.notEqual(createChatModel(specOf('openai:stub-model?rounds=1'), env, { timeoutMs: 30_000 }), first);
});

test('models of many specs are not kept forever: the oldest makes way', () => {
  const settings: ProviderEnv = { OPENAI_BASE_URL: stub.url };
  const first = createChatModel(specOf('openai:stub-model?n=0'), settings, { timeoutMs: 30_000 });
  for (let n = 1; n < maxSharedModels; n++)
    createChatModel(specOf(`openai:stub-model?n=${n}`), settings, { timeoutMs: 30_000 });
  assert.equal(createChatModel(specOf('openai:stub-model?n=0'), settings, { timeoutMs: 30_000 }), first);
  createChatModel(specOf(`openai:stub-model?n=${maxSharedModels}`), settings, { timeoutMs: 30_000 });
  assert.notEqual(createChatModel(specOf('openai:stub-model?n=0'), settings, { timeoutMs: 30_000 }), first);
});

test('concurrent calls through the shared model each send their own run and step headers', async () => {
  stub.clearRequests();
  const model = createChatModel(spec(), env, { timeoutMs: 30_000 });
  const calls = ['run-a', 'run-b', 'run-c'].map((run, i) =>
    withCallHeaders(headersOf(run, i + 1), () => model.invoke([new HumanMessage(`hello from ${run}`)])),
  );
  await Promise.all(calls);
  const keys = stub
    .requests()
    .map((request) => `${request.key.run}#${request.key.step}`)
    .sort();
  assert.deepEqual(keys, ['run-a#1', 'run-b#2', 'run-c#3']);
});

test('a request made outside a call carries no call headers', async () => {
  stub.clearRequests();
  await createChatModel(spec(), env, { timeoutMs: 30_000 }).invoke([new HumanMessage('no call')]);
  const [request] = stub.requests();
  assert.equal(request.key.run, undefined);
});

const calculatorTool: ModelTool = {
  type: 'function',
  function: {
    name: 'calculator',
    description: 'Evaluates arithmetic.',
    parameters: { type: 'object', properties: {} },
  },
};

test('a model with the same tools bound is built once, and still sends the tools on every request', async () => {
  const model = createChatModel(spec(), env, { timeoutMs: 30_000 });
  const bound = bindToolsShared(model, [calculatorTool]);
  assert.equal(bindToolsShared(model, [{ ...calculatorTool }]), bound);
  assert.notEqual(bindToolsShared(model, [calculatorTool], 'required'), bound);
  assert.notEqual(bindToolsShared(createChatModel(spec(), env, { timeoutMs: 10_000 }), [calculatorTool]), bound);
  stub.clearRequests();
  await bound.invoke([new HumanMessage('first')]);
  await bound.invoke([new HumanMessage('second')]);
  const sent = stub.requests().map((request) => request.tools);
  assert.deepEqual(sent, [['calculator'], ['calculator']]);
});

test('tool sets of one model are not kept forever: the oldest makes way', () => {
  const model = createChatModel(specOf('openai:stub-model?bound=1'), env, { timeoutMs: 30_000 });
  const toolNamed = (name: string): ModelTool => ({
    ...calculatorTool,
    function: { ...calculatorTool.function, name },
  });
  const first = bindToolsShared(model, [toolNamed('t0')]);
  for (let n = 1; n < maxBoundToolSets; n++) bindToolsShared(model, [toolNamed(`t${n}`)]);
  assert.equal(bindToolsShared(model, [toolNamed('t0')]), first);
  bindToolsShared(model, [toolNamed(`t${maxBoundToolSets}`)]);
  assert.notEqual(bindToolsShared(model, [toolNamed('t0')]), first);
});
