/** RunSpec resolution without a server: the client's `resolveRun`, tool globs, and the workflow's legacy resolver. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { builtinCatalog, type Catalog } from '../../agents/catalog';
import { resolveRun } from '../../agents/resolve-run';
import { matchesToolPattern } from '../../agents/run-spec';
import { resolveRunInput } from '../../workflows/run-input';

const personSchema = { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] };
const base = { model: 'scripted:auto', user: 'u' };

test('built-in catalog: three templates and three tools with JSON Schemas from their zod specs', () => {
  assert.deepEqual(
    builtinCatalog.templates.map((t) => t.name),
    ['chat', 'react', 'structured'],
  );
  assert.deepEqual(
    builtinCatalog.tools.map((t) => t.name),
    ['calculator', 'current_time', 'word_count'],
  );
  const calculator = builtinCatalog.tools[0].parameters as { properties: Record<string, unknown>; required: string[] };
  assert.deepEqual(calculator.required, ['expression']);
  assert.ok('expression' in calculator.properties);
});

test('the workflow resolves inputs without a spec exactly as the client does for the built-in templates', () => {
  const cases = [
    { template: 'chat', input: { message: 'hi' } },
    { template: 'react', input: { task: 't' } },
    { template: 'react', input: { task: 't', tools: ['word_count', 'calculator'], maxSteps: 3 } },
    { template: 'structured', input: { prompt: 'p', schema: personSchema } },
  ];
  for (const raw of cases) {
    const client = resolveRun({ ...raw, ...base });
    const legacy = resolveRunInput({ ...raw, ...base });
    assert.ok(client.ok && legacy.ok, raw.template);
    const names = (spec: { tools: { name: string }[] }) => spec.tools.map((t) => t.name);
    assert.deepEqual(
      { ...legacy.spec, tools: names(legacy.spec) },
      { ...client.run.spec, tools: names(client.run.spec) },
      raw.template,
    );
  }
});

test('the started input carries the spec, not the template input; the workflow takes it as it is', () => {
  const resolution = resolveRun({ template: 'react', input: { task: 't', tools: ['calculator'] }, ...base });
  assert.ok(resolution.ok);
  assert.equal(resolution.run.input.input, undefined);
  assert.equal(resolution.run.input.spec.tools[0].description.length > 0, true);
  const inWorkflow = resolveRunInput(resolution.run.input);
  assert.ok(inWorkflow.ok);
  assert.deepEqual(inWorkflow.spec, resolution.run.spec);
});

test('bad inputs get typed errors on both sides', () => {
  const bad: [unknown, string][] = [
    [{ template: 'chat', input: { message: 7 }, ...base }, 'InvalidInput'],
    [{ template: 'nope', input: {}, ...base }, 'UnknownTemplate'],
    [{ template: 'react', input: { task: 't', tools: ['rm_rf'] }, ...base }, 'UnknownTool'],
    [{ template: 'chat', input: { message: 'x' }, model: 'nope:x', user: 'u' }, 'UnknownModel'],
    [{ template: 'chat', input: { message: 'x' }, model: 'scripted:auto', user: 'has spaces' }, 'InvalidInput'],
  ];
  for (const [raw, type] of bad) {
    const client = resolveRun(raw);
    const legacy = resolveRunInput(raw as never);
    assert.equal(client.ok ? 'ok' : client.type, type, JSON.stringify(raw));
    assert.equal(legacy.ok ? 'ok' : legacy.type, type, JSON.stringify(raw));
  }
  const badSpec = resolveRunInput({
    template: 'x',
    model: 'scripted:auto',
    user: 'u',
    spec: { template: 'x', messages: [], tools: [], maxSteps: 1 },
  });
  assert.equal(badSpec.ok ? 'ok' : badSpec.type, 'InvalidInput');
});

test('tool globs expand at resolve time against the catalog; a glob matching nothing is UnknownTool', () => {
  assert.ok(matchesToolPattern('github_*', 'github_issues'));
  assert.ok(matchesToolPattern('mcp:files/*', 'mcp:files/read'));
  assert.ok(!matchesToolPattern('mcp:files/*', 'mcp:git/log'));
  assert.ok(matchesToolPattern('*_count', 'word_count'));
  assert.ok(!matchesToolPattern('calc', 'calculator'));
  const catalog: Catalog = {
    templates: [
      ...builtinCatalog.templates,
      {
        name: 'triage',
        description: 'd',
        systemPrompt: 'You triage.',
        tools: ['github_*', 'word_count'],
        maxSteps: 4,
        inputSchema: { type: 'object', properties: { task: { type: 'string' } }, required: ['task'] },
        source: 'catalog-file',
      },
      {
        name: 'broken',
        description: 'd',
        systemPrompt: 's',
        tools: ['jira_*'],
        maxSteps: 4,
        inputSchema: { type: 'object' },
        source: 'code',
      },
    ],
    tools: [
      ...builtinCatalog.tools,
      { name: 'github_issues', description: 'issues', parameters: { type: 'object' }, source: 'code' },
      { name: 'github_prs', description: 'prs', parameters: { type: 'object' }, source: 'code', taskQueue: 'heavy' },
    ],
  };
  const triage = resolveRun({ template: 'triage', input: { task: 'sort these' }, ...base }, catalog);
  assert.ok(triage.ok);
  assert.deepEqual(
    triage.run.spec.tools.map((t) => [t.name, t.taskQueue]),
    [
      ['github_issues', undefined],
      ['github_prs', 'heavy'],
      ['word_count', undefined],
    ],
  );
  assert.deepEqual(triage.run.spec.messages, [
    { role: 'system', content: 'You triage.' },
    { role: 'user', content: 'sort these' },
  ]);
  assert.equal(triage.run.spec.maxSteps, 4);
  const broken = resolveRun({ template: 'broken', input: { task: 'x' }, ...base }, catalog);
  assert.equal(broken.ok ? 'ok' : broken.type, 'UnknownTool');
  const badInput = resolveRun({ template: 'triage', input: { task: 7 }, ...base }, catalog);
  assert.equal(badInput.ok ? 'ok' : badInput.type, 'InvalidInput');
  const glob = resolveRun({ template: 'react', input: { task: 't', tools: ['github_*'] }, ...base }, catalog);
  assert.ok(glob.ok);
  assert.deepEqual(
    glob.run.spec.tools.map((t) => t.name),
    ['github_issues', 'github_prs'],
  );
});

test('descriptor templates with structured output put the schema in the system prompt and the spec', () => {
  const catalog: Catalog = {
    templates: [
      {
        name: 'person',
        description: 'd',
        systemPrompt: 'Extract the person.',
        tools: [],
        maxSteps: 2,
        inputSchema: { type: 'object' },
        outputSchema: personSchema,
        source: 'code',
      },
    ],
    tools: [],
  };
  const resolution = resolveRun({ template: 'person', input: { text: 'Ada, 36' }, ...base }, catalog);
  assert.ok(resolution.ok);
  assert.deepEqual(resolution.run.spec.outputSchema, personSchema);
  assert.match(resolution.run.spec.messages[0].content, /```json-schema\n\{"type":"object"/);
  assert.equal(resolution.run.spec.messages[1].content, '{"text":"Ada, 36"}');
});

test('the built-in catalog (before any worker has published) leaves local calls to the workers: no tool is recorded local', () => {
  const resolution = resolveRun({ template: 'react', input: { task: 'count' }, user: 'u', model: 'scripted:auto' });
  assert.ok(resolution.ok, JSON.stringify(resolution));
  if (!resolution.ok) return;
  assert.ok(resolution.run.spec.tools.length > 0);
  for (const tool of resolution.run.spec.tools) assert.equal(tool.local, undefined, tool.name);
});
