/** Handoff resolution without a server: the closure `resolveRun` records, its typed errors, the workflow's checks. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  builtinCatalog,
  defaultTemplateInputSchema,
  type Catalog,
  type TemplateDescriptor,
} from '../../agents/catalog';
import { handoffToolName, maxHandoffsPerRun } from '../../agents/handoffs';
import { resolveRun } from '../../agents/resolve-run';
import { runInputSchema } from '../../agents/run';
import { formatState } from '../../client/cli-format';
import { scriptedReply } from '../../stand-ins/scripted-brain';
import { parseCatalogFile } from '../../worker/agents/catalog-file';
import { TemplateRegistry } from '../../worker/agents/template-registry';
import type { AgentLoop } from '../../workflows/agent-loop';
import { RunHandoffs } from '../../workflows/handoff';
import { resolveRunInput } from '../../workflows/run-input';

const base = { model: 'scripted:auto', user: 'u' };
const refundSchema = { type: 'object', properties: { amount: { type: 'number' } }, required: ['amount'] };

function template(name: string, extra: Partial<TemplateDescriptor> = {}): TemplateDescriptor {
  return {
    name,
    description: `The ${name} desk.`,
    systemPrompt: `You are the ${name} desk.`,
    tools: [],
    maxSteps: 4,
    inputSchema: defaultTemplateInputSchema,
    source: 'code',
    ...extra,
  };
}

function catalogOf(...templates: TemplateDescriptor[]): Catalog {
  return { templates: [...builtinCatalog.templates, ...templates], tools: builtinCatalog.tools };
}

const desks = catalogOf(
  template('triage', { handoffs: ['billing'] }),
  template('billing', { tools: ['calculator'], handoffs: ['refunds', 'triage', 'refunds'], maxSteps: 6 }),
  template('refunds', { outputSchema: refundSchema, handoffs: ['chat'] }),
);

test('the spec holds every template reachable by handoff, each once, cycles included', () => {
  const resolution = resolveRun({ template: 'triage', input: { task: 'charged twice' }, ...base }, desks);
  assert.ok(resolution.ok, resolution.ok ? '' : resolution.message);
  const { spec } = resolution.run;
  assert.deepEqual(
    spec.tools.map((t) => [t.name, t.handoff]),
    [['transfer_to_billing', 'billing']],
  );
  assert.match(spec.tools[0].description, /billing agent: The billing desk\./);
  // triage → billing → refunds → chat, and billing → triage back again: each resolved once.
  assert.deepEqual(Object.keys(spec.handoffs!).sort(), ['billing', 'chat', 'refunds', 'triage']);
  const billing = spec.handoffs!.billing;
  assert.deepEqual(
    billing.tools.map((t) => [t.name, t.handoff]),
    [
      ['calculator', undefined],
      ['transfer_to_refunds', 'refunds'],
      ['transfer_to_triage', 'triage'],
    ],
  );
  assert.equal(billing.systemPrompt, 'You are the billing desk.');
  assert.equal(billing.maxSteps, 6);
  assert.deepEqual(billing.handoffs, ['refunds', 'triage']);
  const refunds = spec.handoffs!.refunds;
  assert.deepEqual(refunds.outputSchema, refundSchema);
  assert.match(refunds.systemPrompt, /^You are the refunds desk\.\n```json-schema\n/);
  // The start template, reached again through billing, is what a run of it would offer.
  assert.deepEqual(spec.handoffs!.triage.tools, spec.tools);
  assert.equal(spec.handoffs!.chat.tools.length, 0);

  // The zod schema (client side) and the workflow's hand checks both take the recorded spec as it is.
  assert.deepEqual(runInputSchema.parse(resolution.run.input).spec, spec);
  const inWorkflow = resolveRunInput(resolution.run.input);
  assert.ok(inWorkflow.ok);
  assert.deepEqual(inWorkflow.spec, spec);
});

test('a template without handoffs resolves as before: no handoff tools, no handoffs in the spec', () => {
  const resolution = resolveRun({ template: 'refunds', input: { task: 'x' }, ...base }, catalogOf(template('refunds')));
  assert.ok(resolution.ok);
  assert.equal('handoffs' in resolution.run.spec, false);
  assert.deepEqual(resolution.run.spec.tools, []);
});

test('an unknown target anywhere in the closure is UnknownTemplate; self-handoffs and name clashes are InvalidInput', () => {
  const deep = catalogOf(template('triage', { handoffs: ['billing'] }), template('billing', { handoffs: ['nowhere'] }));
  const unknown = resolveRun({ template: 'triage', input: { task: 'x' }, ...base }, deep);
  assert.equal(unknown.ok ? 'ok' : unknown.type, 'UnknownTemplate');
  assert.match(unknown.ok ? '' : unknown.message, /"billing" hands over to unknown template "nowhere"/);

  const toolless = catalogOf(template('triage', { handoffs: ['billing'] }), template('billing', { tools: ['nope'] }));
  const noTool = resolveRun({ template: 'triage', input: { task: 'x' }, ...base }, toolless);
  assert.equal(noTool.ok ? 'ok' : noTool.type, 'UnknownTool');
  assert.match(noTool.ok ? '' : noTool.message, /^Template "billing" \(a handoff target\): Unknown tool\(s\) nope/);

  const self = resolveRun(
    { template: 'loop', input: { task: 'x' }, ...base },
    catalogOf(template('loop', { handoffs: ['loop'] })),
  );
  assert.equal(self.ok ? 'ok' : self.type, 'InvalidInput');

  const clash: Catalog = {
    templates: [template('triage', { tools: ['transfer_to_billing'], handoffs: ['billing'] }), template('billing')],
    tools: [{ name: 'transfer_to_billing', description: 'mine', parameters: { type: 'object' }, source: 'code' }],
  };
  const clashed = resolveRun({ template: 'triage', input: { task: 'x' }, ...base }, clash);
  assert.equal(clashed.ok ? 'ok' : clashed.type, 'InvalidInput');
  assert.match(clashed.ok ? '' : clashed.message, /two tools named "transfer_to_billing"/);
});

test('templates name their handoffs in code and in the catalog file; their descriptors carry them', () => {
  const registry = new TemplateRegistry({
    builtins: false,
    templates: [
      { name: 'triage', systemPrompt: 'p', handoffs: ['billing'] },
      { name: 'plain', systemPrompt: 'p' },
    ],
  });
  const file = parseCatalogFile('templates: [{ name: billing, systemPrompt: q, handoffs: [triage] }]', 'c.yaml', {});
  registry.setFileTemplates(file.templates);
  assert.deepEqual(
    registry.descriptors().map((d) => [d.name, d.handoffs]),
    [
      ['triage', ['billing']],
      ['plain', undefined],
      ['billing', ['triage']],
    ],
  );
  assert.throws(
    () => parseCatalogFile('templates: [{ name: a, systemPrompt: x, handoffs: ["no spaces"] }]', 'c.yaml', {}),
    /templates\.0\.handoffs\.0: use letters, digits, _ and - only/,
  );
});

test('handoff tool names stay within 64 characters', () => {
  assert.equal(handoffToolName('billing'), 'transfer_to_billing');
  assert.equal(handoffToolName('x'.repeat(64)).length, 64);
});

test('the workflow refuses a spec whose handoff tools or carried template point outside spec.handoffs', () => {
  const resolution = resolveRun({ template: 'triage', input: { task: 'x' }, ...base }, desks);
  assert.ok(resolution.ok);
  const { input } = resolution.run;
  const dangling = {
    ...input,
    spec: { ...input.spec, tools: [{ ...input.spec.tools[0], handoff: 'nowhere' }] },
  };
  const refused = resolveRunInput(dangling);
  assert.equal(refused.ok ? 'ok' : refused.type, 'InvalidInput');
  assert.match(refused.ok ? '' : refused.message, /hands over to "nowhere"/);

  const carried = (current: string) => ({
    ...input,
    carried: {
      messages: input.spec.messages,
      step: 1,
      usage: { inputTokens: 0, outputTokens: 0, cachedTokens: 0, modelCalls: 1, toolCalls: 0, costUsd: 0 },
      pauseRequested: false,
      repairsUsed: 0,
      continuations: 1,
      handoff: { template: current, stepLimit: 7, chain: [{ from: 'triage', to: current, step: 1 }] },
    },
  });
  assert.ok(resolveRunInput(carried('billing')).ok);
  const lost = resolveRunInput(carried('nowhere'));
  assert.equal(lost.ok ? 'ok' : lost.type, 'InvalidInput');
});

test('agentctl state shows the handoff chain', () => {
  const text = formatState({
    runId: 'r',
    template: 'refunds',
    user: 'u',
    model: 'scripted:auto',
    status: 'completed',
    step: 4,
    maxSteps: 5,
    pauseRequested: false,
    stopRequested: false,
    usage: { inputTokens: 1, outputTokens: 1, cachedTokens: 0, modelCalls: 4, toolCalls: 1, costUsd: 0 },
    messageCount: 9,
    continuations: 0,
    handoffs: [
      { from: 'triage', to: 'billing', step: 1 },
      { from: 'billing', to: 'refunds', step: 3 },
    ],
  });
  assert.match(text, /\nhandoffs\s+triage → billing \(step 1\) → refunds \(step 3\)/);
});

test('the scripted model follows the next template’s call lines after a handoff', () => {
  const user = 'call transfer_to_billing {}\ncall calculator {"expression":"1 + 1"}';
  const afterHandoff = [
    { role: 'system' as const, content: 'You are the billing desk.' },
    { role: 'user' as const, content: user },
    {
      role: 'assistant' as const,
      content: '',
      toolCalls: [{ id: 'call_1', name: 'transfer_to_billing', args: {} }],
    },
    { role: 'tool' as const, content: 'Handed over to billing.', toolCallId: 'call_1', name: 'transfer_to_billing' },
  ];
  const reply = scriptedReply(afterHandoff, ['calculator', 'transfer_to_triage']);
  assert.deepEqual(reply.toolCalls, [{ id: 'call_2', name: 'calculator', args: { expression: '1 + 1' } }]);
});

test('the workflow takes the first handoff call of a reply, refuses a second and any past the limit', () => {
  const resolution = resolveRun({ template: 'billing', input: { task: 'x' }, ...base }, desks);
  assert.ok(resolution.ok);
  const { spec } = resolution.run;
  const loop = {
    config: { template: 'billing', tools: [], toolDefinitions: spec.tools },
    state: { messages: [], step: 0, repairsUsed: 0, pauseRequested: false },
  } as unknown as AgentLoop;
  RunHandoffs.attach(loop, spec);
  const calls = [
    { id: 'a', name: 'calculator', args: { expression: '1' } },
    { id: 'b', name: 'transfer_to_refunds', args: { reason: 'money back' } },
    { id: 'c', name: 'transfer_to_triage', args: {} },
  ];
  const plan = loop.handoffs!.plan(loop, calls, () => false)!;
  assert.deepEqual(plan.accepted, { to: 'refunds', reason: 'money back' });
  assert.deepEqual([...plan.results.keys()], ['b', 'c']);
  assert.equal(plan.results.get('b')!.content, 'Handed over to refunds.');
  assert.match(plan.results.get('c')!.content, /only one handoff per reply; the conversation goes to refunds/);
  // A handoff a person rejected is not taken: the next one is.
  assert.deepEqual(loop.handoffs!.plan(loop, calls, (id) => id === 'b')!.accepted, { to: 'triage' });
  assert.equal(
    loop.handoffs!.plan(loop, [calls[0]], () => false),
    undefined,
  );

  // Carried across continue-as-new: the loop is put back under the current template, and the limit holds.
  const chain = Array.from({ length: maxHandoffsPerRun }, (_, i) => ({ from: 'triage', to: 'billing', step: i + 1 }));
  const carried = {
    config: { template: 'billing', tools: [], toolDefinitions: spec.tools },
    state: {
      messages: [],
      step: 10,
      repairsUsed: 0,
      pauseRequested: false,
      handoff: { template: 'refunds', stepLimit: 12, chain },
    },
  } as unknown as AgentLoop;
  RunHandoffs.attach(carried, spec);
  assert.equal(carried.config.template, 'refunds');
  assert.deepEqual(carried.config.outputSchema, refundSchema);
  assert.deepEqual(carried.config.tools, ['transfer_to_chat']);
  const capped = carried.handoffs!.plan(carried, [{ id: 'd', name: 'transfer_to_chat', args: {} }], () => false)!;
  assert.equal(capped.accepted, undefined);
  assert.match(capped.results.get('d')!.content, /handed over 10 times, the most allowed/);
});
