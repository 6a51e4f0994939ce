/**
 * Handoffs through the real stack: a run hands its conversation over from template to template (triage → billing →
 * refunds) and answers under the last one's prompt, tools and output schema; the chain is in `state`, the durable
 * events and `AgentTemplate`; it survives continue-as-new; an unknown target starts nothing.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { WorkflowNotFoundError } from '@temporalio/client';
import { z } from 'zod';
import { AgentError } from '../agents/errors';
import type { ToolMessage } from '../agents/conversation';
import type { RunEvent } from '../agents/events';
import { conversationQuery, eventsQuery } from '../agents/messages';
import type { AgentClient, AgentRunHandle } from '../client';
import type { AgentTemplateDefinition } from '../worker/agents';
import { eventually } from '../testing/environment';
import { agentTestbed } from './helpers/testbed';

const templates: AgentTemplateDefinition[] = [
  {
    name: 'triage',
    description: 'Sorts incoming tickets.',
    systemPrompt: 'You are the triage desk.',
    handoffs: ['billing'],
    maxSteps: 3,
  },
  {
    name: 'billing',
    description: 'Answers questions about invoices.',
    systemPrompt: 'You are the billing desk.',
    tools: ['calculator'],
    handoffs: ['refunds', 'triage'],
    maxSteps: 30,
  },
  {
    name: 'refunds',
    description: 'Pays money back.',
    systemPrompt: 'You are the refunds desk.',
    outputSchema: z.object({ desk: z.literal('refunds'), amount: z.number() }),
    maxSteps: 2,
  },
  {
    name: 'desk',
    description: 'Front desk.',
    systemPrompt: 'You are the front desk.',
    tools: ['calculator'],
    handoffs: ['billing', 'refunds'],
  },
  { name: 'lost', systemPrompt: 'You hand over to nobody known.', handoffs: ['nowhere'] },
];

const testbed = agentTestbed({ name: 'handoffs', worker: { agents: { templates } } });
let client: AgentClient;
before(async () => {
  ({ client } = await testbed.start());
  await eventually(async () => {
    const catalog = await client.catalog({ fresh: true });
    return catalog.templates.some((t) => t.name === 'refunds');
  }, 'the worker published its templates');
});
after(() => testbed.stop());

async function events(handle: AgentRunHandle): Promise<RunEvent[]> {
  return (await handle.workflow.query(eventsQuery, { after: 0, limit: 200 })).events;
}

async function conversation(handle: AgentRunHandle) {
  return (await handle.workflow.query(conversationQuery, { from: 0, to: 1000 })).messages;
}

const isTool = (m: { role: string }): m is ToolMessage => m.role === 'tool';

describe('handoffs', () => {
  test('a chain of two handoffs answers under the last template: its prompt, tools and output schema', async () => {
    const task = [
      'I was charged twice and want my money back.',
      'call transfer_to_billing {"reason":"invoice question"}',
      'call calculator {"expression":"19 * 3"}',
      'call transfer_to_refunds {"reason":"wants a refund"}',
    ].join('\n');
    const handle = await client.start({ template: 'triage', input: { task }, user: 'alice', model: 'scripted:auto' });
    const result = await handle.result();

    assert.equal(result.status, 'completed');
    assert.equal(result.finishReason, 'answer');
    // JSON built from the schema in refunds' system prompt, checked against refunds' output schema.
    assert.deepEqual(result.output, { desk: 'refunds', amount: 42.5 });
    // triage hands over (1), billing computes (2) and hands over (3), refunds answers (4).
    assert.equal(result.steps, 4);
    assert.equal(result.usage.modelCalls, 4);
    assert.equal(result.usage.toolCalls, 1, 'handoff calls run no tool');

    const state = await handle.state();
    assert.equal(state.template, 'refunds');
    assert.deepEqual(state.handoffs, [
      { from: 'triage', to: 'billing', step: 1, reason: 'invoice question' },
      { from: 'billing', to: 'refunds', step: 3, reason: 'wants a refund' },
    ]);
    assert.equal(state.maxSteps, 3 + 2, 'refunds gets its own 2 steps from the handoff');

    const messages = await conversation(handle);
    assert.equal(messages[0].role, 'system');
    assert.match(messages[0].content, /^You are the refunds desk\./);
    assert.equal(messages.filter((m) => m.role === 'system').length, 1);
    assert.equal(messages[1].content, task, 'the conversation so far is kept');
    const toolMessages = messages.filter(isTool);
    assert.deepEqual(
      toolMessages.map((m) => [m.name, m.content]),
      [
        ['transfer_to_billing', 'Handed over to billing.'],
        ['calculator', '57'],
        ['transfer_to_refunds', 'Handed over to refunds.'],
      ],
    );

    const log = await events(handle);
    assert.deepEqual(
      log.filter((e) => e.type === 'handoff').map((e) => e.data),
      [
        { from: 'triage', to: 'billing', step: 1, reason: 'invoice question' },
        { from: 'billing', to: 'refunds', step: 3, reason: 'wants a refund' },
      ],
    );
    assert.deepEqual(
      log.filter((e) => e.type === 'tool.call').map((e) => (e.data as { tool: string }).tool),
      ['calculator'],
    );
    assert.equal((log.find((e) => e.type === 'run.started')!.data as { template: string }).template, 'triage');

    // AgentTemplate follows the run to the template it is under.
    await eventually(async () => {
      const runs = await client.list({ template: 'refunds' });
      return runs.some((r) => r.runId === handle.runId);
    }, 'the run listed under refunds');
  });

  test('the template a run handed over to survives continue-as-new: its tools, prompt and step budget', async () => {
    const handle = await client.start({
      template: 'triage',
      input: { task: 'call transfer_to_billing {}' },
      user: 'alice',
      // Billing has the calculator: it computes 20 rounds (the handoff's result counts as the first).
      model: 'scripted:auto?rounds=20',
      options: { historyEventLimit: 100 },
    });
    const result = await handle.result();
    assert.equal(result.status, 'completed');
    assert.match(result.answer, /^Done after 20 tool calls/);
    assert.equal(result.steps, 21);
    assert.equal(result.usage.toolCalls, 19);

    const state = await handle.state();
    assert.ok(state.continuations >= 1, `continued ${state.continuations} times`);
    assert.equal(state.template, 'billing');
    assert.equal(state.maxSteps, 1 + 30);
    assert.deepEqual(state.handoffs, [{ from: 'triage', to: 'billing', step: 1 }]);
    const messages = await conversation(handle);
    assert.match(messages[0].content, /^You are the billing desk\./);

    const log = await events(handle);
    const handoffAt = log.findIndex((e) => e.type === 'handoff');
    const continuedAt = log.findIndex((e) => e.type === 'run.continued');
    assert.ok(handoffAt >= 0 && continuedAt > handoffAt, 'continued as new after the handoff');
    // Tool calls after continue-as-new still ran: billing's calculator stayed bound.
    assert.ok(log.slice(continuedAt).some((e) => e.type === 'tool.call'));
  });

  test('a handoff with other tool calls in one reply: the others run, the first handoff wins, a second is refused', async () => {
    const task = [
      'call calculator {"expression":"6 * 7"}',
      'call transfer_to_billing {"reason":"first"}',
      'call transfer_to_refunds {"reason":"second"}',
    ].join('\n');
    const handle = await client.start({
      template: 'desk',
      input: { task },
      user: 'alice',
      model: 'scripted:auto?parallel=1',
    });
    const result = await handle.result();
    assert.equal(result.status, 'completed');
    // Billing's model saw every result of desk's reply.
    assert.match(result.answer, /^Tool results: 42 \| Handed over to billing\. \| Error: only one handoff per reply/);
    assert.equal(result.usage.toolCalls, 1);

    const state = await handle.state();
    assert.equal(state.template, 'billing');
    assert.deepEqual(state.handoffs, [{ from: 'desk', to: 'billing', step: 1, reason: 'first' }]);
    const tools = (await conversation(handle)).filter(isTool);
    assert.deepEqual(
      tools.map((m) => [m.name, m.isError === true]),
      [
        ['calculator', false],
        ['transfer_to_billing', false],
        ['transfer_to_refunds', true],
      ],
    );
    const log = await events(handle);
    assert.equal(log.filter((e) => e.type === 'handoff').length, 1);
  });

  test('a template handing over to an unknown template starts nothing', async () => {
    const runId = `handoff-unknown-${Date.now()}`;
    await assert.rejects(
      client.start({ template: 'lost', input: { task: 'hi' }, user: 'alice', model: 'scripted:auto', runId }),
      (err: unknown) =>
        err instanceof AgentError && err.type === 'UnknownTemplate' && /unknown template "nowhere"/.test(err.message),
    );
    await assert.rejects(client.getHandle(runId).workflow.describe(), WorkflowNotFoundError);
  });
});
