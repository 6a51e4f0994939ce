/** Pure parts of your own agents: the catalog file's checks, catalog merging, the scripted model's tool directives. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Catalog } from '../agents/catalog';
import { mergeCatalogs } from '../agents/catalog-messages';
import { toolDirectives } from '../stand-ins/scripted-brain';
import { parseCatalogFile } from '../worker/agents/catalog-file';

describe('catalog file', () => {
  test('defaults, env expansion and both server shapes', () => {
    const file = parseCatalogFile(
      JSON.stringify({
        templates: [{ name: 't', systemPrompt: 'p' }],
        mcpServers: {
          s: { command: 'srv', env: { KEY: '${SECRET}' } },
          h: { url: 'http://${HOST}/mcp', headers: { a: 'b' } },
        },
      }),
      'c.json',
      { SECRET: 'k', HOST: '127.0.0.1:9' },
    );
    assert.deepEqual(file.templates, [{ name: 't', systemPrompt: 'p', tools: [], maxSteps: 8 }]);
    assert.deepEqual(file.mcpServers, {
      s: { command: 'srv', env: { KEY: 'k' } },
      h: { url: 'http://127.0.0.1:9/mcp', headers: { a: 'b' } },
    });
  });

  test('a bad file names every bad field', () => {
    const bad = (text: string, pattern: RegExp) =>
      assert.throws(
        () => parseCatalogFile(text, 'c.yaml', {}),
        (err: Error) => err.name === 'CatalogFileError' && pattern.test(err.message),
      );
    bad(
      'templates: [{ name: a, systemPrompt: x }, { name: a, systemPrompt: y }]',
      /^Invalid catalog in c\.yaml: templates\.1\.name: template "a" is declared twice$/,
    );
    bad(
      'templates: [{ name: a, systemPrompt: x, outputSchema: { type: nonsense } }]',
      /templates\.0\.outputSchema: not a usable JSON Schema/,
    );
    bad('mcpServers: { s: {} }', /mcpServers\.s\.command: give either command \(stdio\) or url \(streamable HTTP\)$/);
    bad(
      'mcpServers: { s: { command: x, headers: { a: b } } }',
      /mcpServers\.s\.headers: only a url \(HTTP\) server takes headers$/,
    );
    bad(
      'mcpServers: { "bad name": { command: x } }',
      /mcpServers\.bad name: server name: use letters, digits, _ and - only/,
    );
    bad('mcpServers: { s: { url: "http://${NOPE}/" } }', /mcpServers\.s\.url: environment variable NOPE is not set$/);
    bad('templates: [{ name: a, systemPrompt: x, extra: 1 }]', /templates\.0: Unrecognized key: "extra"/);
    bad('{ not: [yaml', /not JSON or YAML/);
  });
});

describe('mergeCatalogs', () => {
  const catalog = (prompt: string, tools: string[]): Catalog => ({
    templates: [
      { name: 't', description: '', systemPrompt: prompt, tools: [], maxSteps: 1, inputSchema: {}, source: 'code' },
    ],
    tools: tools.map((name) => ({ name, description: '', parameters: {}, source: 'code' })),
  });

  test('the union of the workers, the latest publication winning a name', () => {
    const merged = mergeCatalogs([
      { worker: 'b', digest: 'd2', catalog: catalog('newer', ['y']), publishedAt: 20, seenAt: 20 },
      { worker: 'a', digest: 'd1', catalog: catalog('older', ['x']), publishedAt: 10, seenAt: 30 },
    ]);
    assert.equal(merged.templates.length, 1);
    assert.equal(merged.templates[0].systemPrompt, 'newer');
    assert.deepEqual(merged.tools.map((t) => t.name).sort(), ['x', 'y']);
    assert.deepEqual(merged.workers, [
      { worker: 'a', digest: 'd1', publishedAt: 10 },
      { worker: 'b', digest: 'd2', publishedAt: 20 },
    ]);
  });
});

describe('scripted tool directives', () => {
  test('call lines with JSON objects, in order; others ignored', () => {
    assert.deepEqual(toolDirectives('Do this.\ncall a {"x":1}\ncall b_2 {}\ncall c [1]\ncall d {bad\n call e {}'), [
      { name: 'a', args: { x: 1 } },
      { name: 'b_2', args: {} },
    ]);
  });
});
