/** Pipeline semantics, in process: order, onion, disable, short-circuit, error types, LangChain middleware. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AIMessage, ToolMessage } from '@langchain/core/messages';
import { ApplicationFailure } from '@temporalio/common';
import {
  authMiddleware,
  builtinMiddleware,
  fromLangChainMiddleware,
  MiddlewarePipeline,
  type AgentMiddleware,
  type ModelCallHandler,
  type ToolCallHandler,
} from '../../activities/middleware';
import { agentFailure, ErrorType } from '../../agents/errors';
import { fakeContext, modelRequest, recordingLogger, toolRequest } from '../../testing/fake-call';

const model: ModelCallHandler = async (request) =>
  new AIMessage({
    content: `model saw ${request.messages.length} message(s)${request.systemPrompt ? ` and "${request.systemPrompt}"` : ''}`,
  });
const tool: ToolCallHandler = async (request) =>
  new ToolMessage({ content: `ran ${request.toolCall.name}`, tool_call_id: request.toolCall.id, status: 'success' });

/** A middleware that records "<name>:before" and "<name>:after" around the rest of the pipeline. */
function tracer(name: string, priority: number, trace: string[], enabled = true): AgentMiddleware {
  return {
    name,
    priority,
    enabled,
    async wrapModelCall(request, handler) {
      trace.push(`${name}:before`);
      const response = await handler(request);
      trace.push(`${name}:after`);
      return response;
    },
    async wrapToolCall(request, handler) {
      trace.push(`${name}:tool`);
      return handler(request);
    },
  };
}

describe('order and onion', () => {
  test('lower priority runs further out; each acts before and after the rest', async () => {
    const trace: string[] = [];
    const pipeline = new MiddlewarePipeline([tracer('c', 30, trace), tracer('a', 10, trace), tracer('b', 20, trace)]);
    const reply = await pipeline.modelCall(model)(modelRequest(fakeContext()));
    assert.equal(reply.content, 'model saw 1 message(s)');
    assert.deepEqual(trace, ['a:before', 'b:before', 'c:before', 'c:after', 'b:after', 'a:after']);
    assert.deepEqual(pipeline.active(), ['a', 'b', 'c']);
  });

  test('equal priorities keep registration order', () => {
    const pipeline = new MiddlewarePipeline([tracer('first', 5, []), tracer('second', 5, []), tracer('zero', 0, [])]);
    assert.deepEqual(pipeline.active(), ['zero', 'first', 'second']);
  });

  test('tool calls go through wrapToolCall in the same order', async () => {
    const trace: string[] = [];
    const pipeline = new MiddlewarePipeline([tracer('b', 2, trace), tracer('a', 1, trace)]);
    const reply = await pipeline.toolCall(tool)(toolRequest(fakeContext({ kind: 'tool', tool: 'calculator' })));
    assert.equal(reply.content, 'ran calculator');
    assert.deepEqual(trace, ['a:tool', 'b:tool']);
  });

  test('a middleware may change the request on the way in and the response on the way out', async () => {
    const rewriting: AgentMiddleware = {
      name: 'rewrite',
      priority: 1,
      enabled: true,
      async wrapModelCall(request, handler) {
        const reply = await handler({ ...request, systemPrompt: 'be brief' });
        return new AIMessage({ content: `${reply.content} (checked)` });
      },
    };
    const reply = await new MiddlewarePipeline([rewriting]).modelCall(model)(modelRequest(fakeContext()));
    assert.equal(reply.content, 'model saw 1 message(s) and "be brief" (checked)');
  });

  test('duplicate names are refused', () => {
    assert.throws(
      () => new MiddlewarePipeline([tracer('x', 1, []), tracer('x', 2, [])]),
      /Two middleware are named "x"/,
    );
  });
});

describe('enable and disable', () => {
  test('a middleware with enabled: false is skipped', async () => {
    const trace: string[] = [];
    const pipeline = new MiddlewarePipeline([tracer('on', 1, trace), tracer('off', 2, trace, false)]);
    await pipeline.modelCall(model)(modelRequest(fakeContext()));
    assert.deepEqual(trace, ['on:before', 'on:after']);
  });

  test('toggles by name (the policy\'s "middleware" section) override enabled both ways', async () => {
    const trace: string[] = [];
    const pipeline = new MiddlewarePipeline([tracer('on', 1, trace), tracer('off', 2, trace, false)]);
    const toggles = { on: { enabled: false }, off: { enabled: true } };
    await pipeline.modelCall(model, toggles)(modelRequest(fakeContext()));
    assert.deepEqual(trace, ['off:before', 'off:after']);
    assert.deepEqual(pipeline.active(toggles), ['off']);
    // Composed once per toggles object and handler.
    assert.equal(pipeline.modelCall(model, toggles), pipeline.modelCall(model, toggles));
  });
});

describe('short-circuit and errors', () => {
  test('a middleware can answer without calling inward', async () => {
    const trace: string[] = [];
    const cache: AgentMiddleware = {
      name: 'cache',
      priority: 15,
      enabled: true,
      wrapModelCall: async () => new AIMessage('cached'),
    };
    const reply = await new MiddlewarePipeline([
      tracer('outer', 10, trace),
      cache,
      tracer('inner', 20, trace),
    ]).modelCall(async () => assert.fail('the model must not be called'))(modelRequest(fakeContext()));
    assert.equal(reply.content, 'cached');
    assert.deepEqual(trace, ['outer:before', 'outer:after']);
  });

  test('typed failures propagate unchanged through outer middleware', async () => {
    const trace: string[] = [];
    const refusing: AgentMiddleware = {
      name: 'refuse',
      priority: 15,
      enabled: true,
      wrapModelCall: async () => {
        throw agentFailure(ErrorType.QuotaExceeded, 'over budget', { details: [{ onExceeded: 'fail' }] });
      },
    };
    const handler = new MiddlewarePipeline([tracer('outer', 10, trace), refusing]).modelCall(model);
    await assert.rejects(handler(modelRequest(fakeContext())), (err: ApplicationFailure) => {
      assert.ok(err instanceof ApplicationFailure);
      assert.equal(err.type, 'QuotaExceeded');
      assert.equal(err.nonRetryable, true);
      assert.deepEqual(err.details, [{ onExceeded: 'fail' }]);
      return true;
    });
    assert.deepEqual(trace, ['outer:before'], 'outer saw no "after": the error passed through it');
  });

  test('a middleware can catch an inner error and answer instead', async () => {
    const fallback: AgentMiddleware = {
      name: 'fallback',
      priority: 1,
      enabled: true,
      async wrapModelCall(request, handler) {
        try {
          return await handler(request);
        } catch (err) {
          return new AIMessage(`fallback after ${(err as ApplicationFailure).type}`);
        }
      },
    };
    const failing: ModelCallHandler = async () => {
      throw agentFailure(ErrorType.ModelUnavailable, 'provider down');
    };
    const reply = await new MiddlewarePipeline([fallback]).modelCall(failing)(modelRequest(fakeContext()));
    assert.equal(reply.content, 'fallback after ModelUnavailable');
  });
});

describe('built-in auth (no ledger)', () => {
  const policyInput = {
    roles: { basic: { templates: ['chat'], models: ['scripted:*'], tools: ['word_count'] } },
    users: { bob: ['basic'] },
  };
  const pipeline = new MiddlewarePipeline(builtinMiddleware());

  test('denied template, model and unknown user fail with PermissionDenied, not retryable', async () => {
    for (const [ctx, what] of [
      [fakeContext({ user: 'bob', policyInput, template: 'react' }), /template "react"/],
      [fakeContext({ user: 'bob', policyInput, model: 'openai:gpt-4o?x=1' }), /model "openai:gpt-4o"/],
      [fakeContext({ user: 'mallory', policyInput }), /not in the policy and defaultRoles is empty/],
    ] as const) {
      await assert.rejects(
        pipeline.modelCall(model)(modelRequest(ctx)),
        (err: ApplicationFailure) => err.type === 'PermissionDenied' && err.nonRetryable && what.test(err.message),
      );
    }
    const ok = await pipeline.modelCall(model)(
      modelRequest(fakeContext({ user: 'bob', policyInput, model: 'scripted:auto?rounds=2' })),
    );
    assert.equal(ok.content, 'model saw 1 message(s)');
  });

  test('a denied tool is answered with an error tool message, logged, and the tool never runs', async () => {
    const log = recordingLogger();
    const ctx = fakeContext({ user: 'bob', policyInput, kind: 'tool', tool: 'calculator', log });
    const reply = await pipeline.toolCall(async () => assert.fail('the tool must not run'))(toolRequest(ctx));
    assert.equal(reply.status, 'error');
    assert.match(String(reply.content), /permission denied: user "bob" \(roles: basic\) may not use tool "calculator"/);
    assert.equal(ctx.outcome, 'denied');
    assert.ok(log.entries.some((e) => e.meta?.event === 'tool_denied'));
    assert.ok(
      log.entries.some((e) => e.message === 'tool call' && e.meta?.outcome === 'denied'),
      'logging records the denial',
    );
  });

  test('logging leaves out message bodies unless logPrompts', async () => {
    const quiet = fakeContext({ log: recordingLogger() });
    await pipeline.modelCall(model)(modelRequest(quiet));
    const entry = (quiet.log as ReturnType<typeof recordingLogger>).entries.find((e) => e.message === 'model call')!;
    assert.equal(entry.meta?.outcome, 'ok');
    assert.equal(typeof entry.meta?.durationMs, 'number');
    assert.ok(!JSON.stringify(entry).includes('hello'));
    const loud = fakeContext({ log: recordingLogger(), logPrompts: true });
    await pipeline.modelCall(model)(modelRequest(loud));
    assert.ok(JSON.stringify((loud.log as ReturnType<typeof recordingLogger>).entries).includes('hello'));
  });

  test('auth can be turned off by the policy toggles', async () => {
    const reply = await pipeline.modelCall(model, { auth: { enabled: false } })(
      modelRequest(fakeContext({ user: 'mallory', policyInput })),
    );
    assert.equal(reply.content, 'model saw 1 message(s)');
  });
});

describe('LangChain agent middleware', () => {
  // The shape `createMiddleware({ name, wrapModelCall, wrapToolCall })` returns in langchain v1.
  const langchainStyle = {
    name: 'SystemPromptAndToolGuard',
    wrapModelCall: (request: { systemPrompt?: string }, handler: (r: unknown) => AIMessage | Promise<AIMessage>) =>
      handler({ ...request, systemPrompt: 'You are terse.' }),
    wrapToolCall: (request: { toolCall: { id: string; name: string } }, handler: (r: unknown) => unknown) =>
      request.toolCall.name === 'calculator'
        ? new ToolMessage({ content: 'no maths today', tool_call_id: request.toolCall.id, status: 'error' })
        : handler(request),
  };

  test('wrapModelCall and wrapToolCall run in our pipeline, with our context kept', async () => {
    const trace: string[] = [];
    const pipeline = new MiddlewarePipeline([
      tracer('outer', 10, trace),
      fromLangChainMiddleware(langchainStyle),
      tracer('inner', 90, trace),
    ]);
    const ctx = fakeContext();
    let seenContext: unknown;
    const reply = await pipeline.modelCall(async (request) => ((seenContext = request.context), model(request)))(
      modelRequest(ctx),
    );
    assert.equal(reply.content, 'model saw 1 message(s) and "You are terse."');
    assert.equal(seenContext, ctx);
    assert.deepEqual(trace, ['outer:before', 'inner:before', 'inner:after', 'outer:after']);
    const denied = await pipeline.toolCall(tool)(toolRequest(fakeContext({ kind: 'tool' })));
    assert.equal(denied.content, 'no maths today');
    const allowed = await pipeline.toolCall(tool)(
      toolRequest(fakeContext({ kind: 'tool' }), 'word_count', { text: 'a b' }),
    );
    assert.equal(allowed.content, 'ran word_count');
  });

  test('graph-level hooks are refused with a clear message', () => {
    assert.throws(
      () =>
        fromLangChainMiddleware({
          name: 'Summarize',
          beforeModel: () => undefined,
          wrapModelCall: (r: unknown, h: (r: unknown) => AIMessage | Promise<AIMessage>) => h(r),
        }),
      /uses beforeModel, which need the agent graph/,
    );
    assert.throws(() => fromLangChainMiddleware({ name: 'Empty' }), /neither wrapModelCall nor wrapToolCall/);
  });

  test('a Command from wrapToolCall is refused', async () => {
    const commandReturning = fromLangChainMiddleware({ name: 'Jump', wrapToolCall: () => ({ goto: 'end' }) });
    await assert.rejects(
      new MiddlewarePipeline([commandReturning]).toolCall(tool)(toolRequest(fakeContext({ kind: 'tool' }))),
      /returned a Object from wrapToolCall/,
    );
  });
});

test('built-in auth denies before inner middleware run', async () => {
  const trace: string[] = [];
  const pipeline = new MiddlewarePipeline([authMiddleware(), tracer('inner', 90, trace)]);
  await assert.rejects(
    pipeline.modelCall(model)(modelRequest(fakeContext({ user: 'nobody', policyInput: { roles: { r: {} } } }))),
  );
  assert.deepEqual(trace, []);
});
