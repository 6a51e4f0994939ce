/** Sub-agents without a server: resolution at start (`agent:` tools, `spec.agents`), the guard, child specs and ids. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  builtinCatalog,
  defaultTemplateInputSchema,
  type Catalog,
  type TemplateDescriptor,
} from '../../agents/catalog';
import { resolveRun } from '../../agents/resolve-run';
import { agentCallRefusal, childRunSpec, childWorkflowId } from '../../agents/sub-agents';
import { resolveRunInput } from '../../workflows/run-input';

function template(name: string, tools: string[] = [], extra: Partial<TemplateDescriptor> = {}): TemplateDescriptor {
  return {
    name,
    description: `The ${name}.`,
    systemPrompt: `You are the ${name}.`,
    tools,
    maxSteps: 5,
    inputSchema: defaultTemplateInputSchema,
    source: 'code',
    ...extra,
  };
}

const outputSchema = { type: 'object', properties: { n: { type: 'integer' } }, required: ['n'] };
const catalog: Catalog = {
  templates: [
    template('lead', ['word_count', 'agent:researcher', 'agent:counter']),
    template('researcher', ['calculator', 'agent:counter']),
    template('counter', [], { outputSchema }),
    template('clash', ['calculator', 'agent:calculator']),
    template('calculator'),
  ],
  tools: builtinCatalog.tools,
};
const base = { model: 'scripted:auto', user: 'u' };

test('agent: tools become tools named after their templates; every reachable template is recorded once', () => {
  const resolution = resolveRun({ template: 'lead', input: { task: 'go' }, ...base }, catalog);
  assert.ok(resolution.ok, resolution.ok ? '' : resolution.message);
  const { spec } = resolution.run;
  assert.deepEqual(
    spec.tools.map((t) => [t.name, t.agent]),
    [
      ['word_count', undefined],
      ['researcher', 'researcher'],
      ['counter', 'counter'],
    ],
  );
  assert.equal(spec.tools[1].description, 'The researcher.');
  assert.deepEqual(spec.tools[1].parameters, defaultTemplateInputSchema);
  assert.deepEqual(Object.keys(spec.agents!).sort(), ['counter', 'researcher']);
  assert.deepEqual(
    spec.agents!.researcher.tools.map((t) => t.name),
    ['calculator', 'counter'],
  );
  assert.deepEqual(spec.agents!.counter.outputSchema, outputSchema);
  // The workflow's own check takes what the client resolved.
  assert.ok(resolveRunInput(resolution.run.input).ok);
});

test('runs without sub-agents record no agents at all', () => {
  const resolution = resolveRun(
    { template: 'researcher', input: { task: 'go' }, ...base },
    {
      ...catalog,
      templates: [template('researcher', ['calculator'])],
    },
  );
  assert.ok(resolution.ok);
  assert.equal('agents' in resolution.run.spec, false);
});

test('a tool and a sub-agent of one name are refused', () => {
  const resolution = resolveRun({ template: 'clash', input: { task: 'go' }, ...base }, catalog);
  assert.ok(!resolution.ok);
  assert.equal(resolution.type, 'InvalidInput');
  assert.match(resolution.message, /both named "calculator"/);
});

test('the guard: cycles through any ancestor, and depth counted from the top-level run', () => {
  assert.equal(agentCallRefusal([], 'a', 'b', 3), undefined);
  assert.equal(agentCallRefusal(['a', 'b'], 'c', 'd', 3), undefined);
  assert.equal(agentCallRefusal(['a', 'b', 'c'], 'd', 'e', 3)?.type, 'AgentDepthExceeded');
  assert.equal(agentCallRefusal([], 'a', 'a', 3)?.type, 'AgentCycle');
  assert.match(agentCallRefusal(['a', 'b'], 'c', 'a', 10)!.message, /a -> b -> c -> a/);
});

test("a child's spec: system prompt (with its output schema), the task or the arguments as JSON, its tools", () => {
  const resolution = resolveRun({ template: 'lead', input: { task: 'go' }, ...base }, catalog);
  assert.ok(resolution.ok);
  const agents = resolution.run.spec.agents!;
  const researcher = childRunSpec(agents.researcher, { task: 'find it' }, agents);
  assert.deepEqual(researcher.messages, [
    { role: 'system', content: 'You are the researcher.' },
    { role: 'user', content: 'find it' },
  ]);
  assert.equal(researcher.agents, agents);
  assert.equal(researcher.maxSteps, 5);
  const counter = childRunSpec(agents.counter, { task: 'n', extra: 1 }, agents);
  assert.match(counter.messages[0].content, /json-schema/);
  assert.equal(counter.messages[1].content, '{"task":"n","extra":1}');
  assert.deepEqual(counter.outputSchema, outputSchema);
});

test('child workflow ids: parent id and call id, the call id kept to run-id characters', () => {
  assert.equal(childWorkflowId('run-1', 'call_1_2'), 'run-1.call_1_2');
  assert.equal(childWorkflowId('run-1', 'call/x y.z'), 'run-1.call_x_y_z');
});
