/** Each template end to end through worker and client: scripted model, and `openai:` against our stub server. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { LlmStub } from '../llm-stub';
import type { AgentClient } from '../client';
import { agentTestbed } from './helpers/testbed';
import { builtinCatalog, type Catalog } from '../agents/catalog';
import { resolveRun } from '../agents/resolve-run';
import { runWorkflowType } from '../agents/run-workflow-type';

const personSchema = {
  type: 'object',
  properties: { name: { type: 'string' }, age: { type: 'integer', minimum: 0 } },
  required: ['name', 'age'],
};

const testbed = agentTestbed({ name: 'templates', llmStub: true, providerEnv: { OPENAI_API_KEY: 'sk-test-secret' } });
let stub: LlmStub;
let client: AgentClient;
let env: TestWorkflowEnvironment;
let taskQueue: string;
before(async () => {
  ({ stub, client, env, taskQueue } = await testbed.start());
});
after(() => testbed.stop());

for (const model of ['scripted:auto', 'openai:stub-model']) {
  describe(`templates on ${model}`, () => {
    test('chat answers a message', async () => {
      const handle = await client.start({ template: 'chat', input: { message: 'hello there' }, user: 'alice', model });
      const result = await handle.result();
      assert.equal(result.status, 'completed');
      assert.match(result.answer, /hello there/);
      assert.equal(result.steps, 1);
      assert.equal(result.usage.modelCalls, 1);
      assert.ok(result.usage.inputTokens > 0 && result.usage.outputTokens > 0);
    });

    test('react calls the calculator and answers', async () => {
      const handle = await client.start({
        template: 'react',
        input: { task: 'What is (12 + 30) * 2?' },
        user: 'alice',
        model,
      });
      const result = await handle.result();
      assert.equal(result.answer, 'The answer is 84.');
      assert.equal(result.steps, 2);
      assert.equal(result.usage.toolCalls, 1);
      const state = await handle.state();
      assert.equal(state.status, 'completed');
      assert.equal(state.messageCount, 5);
    });

    test('react stops at maxSteps', async () => {
      const handle = await client.start({
        template: 'react',
        input: { task: 'count', maxSteps: 3 },
        user: 'alice',
        model: `${model}${model.includes('?') ? '&' : '?'}rounds=10`,
      });
      const result = await handle.result();
      assert.equal(result.finishReason, 'max_steps');
      assert.equal(result.steps, 3);
      assert.equal(result.usage.toolCalls, 3);
    });

    test('structured output is validated, with one repair', async () => {
      const good = await (
        await client.start({
          template: 'structured',
          input: { prompt: 'a person', schema: personSchema },
          user: 'alice',
          model,
        })
      ).result();
      assert.deepEqual(good.output, { name: 'example', age: 42 });
      assert.equal(good.steps, 1);
      const repaired = await (
        await client.start({
          template: 'structured',
          input: { prompt: 'a person', schema: personSchema },
          user: 'alice',
          model: `${model}?invalidFirst=1`,
        })
      ).result();
      assert.deepEqual(repaired.output, { name: 'example', age: 42 });
      assert.equal(repaired.steps, 2);
    });
  });
}

test('the stub saw each openai call once, keyed by run and step, and never the key', () => {
  const calls = stub.requests().filter((r) => r.path === '/v1/chat/completions');
  assert.ok(calls.length >= 8, `expected the openai runs to reach the stub, saw ${calls.length}`);
  const keys = calls.map((r) => `${r.key.run}#${r.key.step}`);
  assert.equal(new Set(keys).size, keys.length, 'a model call was made twice');
  assert.ok(calls.every((r) => r.key.run?.startsWith('run-') && r.key.attempt === 1 && r.authorization));
  assert.ok(!JSON.stringify(calls).includes('sk-test-secret'));
});

test('structured output that stays invalid fails with OutputInvalid', async () => {
  const schema = { type: 'object', properties: { n: { type: 'integer', maximum: 10 } }, required: ['n'] };
  const handle = await client.start({
    template: 'structured',
    input: { prompt: 'n', schema },
    user: 'alice',
    model: 'scripted:auto',
  });
  await assert.rejects(handle.result(), (err: { type?: string }) => err.type === 'OutputInvalid');
  assert.equal((await handle.state()).status, 'failed');
});

test('a run binds the tool definitions recorded in its spec, not the worker registry of today', async () => {
  // `github_issues` was offered when the run was resolved; this worker has no such tool.
  const catalog: Catalog = {
    templates: builtinCatalog.templates,
    tools: [
      ...builtinCatalog.tools,
      {
        name: 'github_issues',
        description: 'Lists issues.',
        parameters: { type: 'object', properties: { repo: { type: 'string' } } },
        source: 'code',
      },
    ],
  };
  const resolution = resolveRun(
    {
      template: 'react',
      input: { task: 'What is 6 * 7?', tools: ['github_*', 'calculator'] },
      model: 'openai:stub-model',
      user: 'alice',
    },
    catalog,
  );
  assert.ok(resolution.ok);
  const runId = 'templates-recorded-tools';
  await env.client.workflow.start(runWorkflowType, { taskQueue, workflowId: runId, args: [resolution.run.input] });
  const result = await client.getHandle(runId).result();
  assert.equal(result.status, 'completed');
  assert.match(result.answer, /42/);
  const requests = stub.requests().filter((r) => r.key.run === runId);
  assert.ok(requests.length >= 2);
  for (const request of requests) assert.deepEqual(request.tools, ['github_issues', 'calculator']);
});

test('an input without a spec (older clients, runs in flight before specs) is resolved by the workflow as before', async () => {
  const runId = 'templates-legacy-input';
  await env.client.workflow.start('agentRunWorkflow', {
    taskQueue,
    workflowId: runId,
    args: [
      {
        template: 'react',
        input: { task: 'What is 6 * 7?', tools: ['calculator'] },
        model: 'openai:stub-model',
        user: 'alice',
      },
    ],
  });
  const result = await client.getHandle(runId).result();
  assert.equal(result.status, 'completed');
  assert.match(result.answer, /42/);
  const requests = stub.requests().filter((r) => r.key.run === runId);
  for (const request of requests) assert.deepEqual(request.tools, ['calculator']);
  const structured = 'templates-legacy-structured';
  await env.client.workflow.start('agentRunWorkflow', {
    taskQueue,
    workflowId: structured,
    args: [
      {
        template: 'structured',
        input: { prompt: 'p', schema: personSchema },
        model: 'scripted:auto?invalidFirst=1',
        user: 'alice',
      },
    ],
  });
  const output = await client.getHandle(structured).result();
  assert.deepEqual([output.status, output.steps], ['completed', 2]);
  assert.equal(typeof (output.output as { name?: unknown }).name, 'string');
});
