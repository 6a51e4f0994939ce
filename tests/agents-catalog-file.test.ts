/**
 * The catalog file changes while runs are in flight: a running run keeps the template and tools it recorded at
 * start, new runs get the new ones; a bad file is refused naming the field and the previous catalog stays.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { stringify } from 'yaml';
import { conversationQuery } from '../agents/messages';
import { createAgentWorker } from '../worker/create-worker';
import { agentClient, eventually, startDevEnvironment, uniqueTaskQueue } from '../testing/environment';
import { projectRoot } from '../testing/paths';

const fixture = join(projectRoot, 'tests', 'fixtures', 'mcp-server.ts');
const files = {
  command: process.execPath,
  args: ['--import', 'tsx', fixture],
  cwd: projectRoot,
  env: { MCP_FIXTURE_INSTANCE: 'files' },
};

let env: TestWorkflowEnvironment;
let dir: string;

before(async () => {
  env = await startDevEnvironment();
  dir = mkdtempSync(join(tmpdir(), 'byo-file-'));
});
after(async () => {
  await env?.teardown();
  rmSync(dir, { recursive: true, force: true });
});

describe('catalog file changes', () => {
  test('runs in flight keep their recorded template and tools; new runs get the new ones; a bad file is refused and the previous catalog stays', async () => {
    const taskQueue = uniqueTaskQueue('byo-file');
    const file = join(dir, 'catalog.yaml');
    const write = (systemPrompt: string, tools: string[]) =>
      writeFileSync(file, stringify({ templates: [{ name: 'flow', systemPrompt, tools }], mcpServers: { files } }));
    write('v1 prompt', ['files__*']);
    const log: string[] = [];
    const worker = await createAgentWorker({
      connection: env.nativeConnection,
      namespace: 'default',
      taskQueue,
      activities: { providerEnv: {} },
      agents: { catalogFile: file, catalogFileCheckIntervalMs: 100, log: (_, message) => void log.push(message) },
    });
    const agents = agentClient(env, taskQueue);
    const flow = async () => (await agents.catalog({ fresh: true })).templates.find((t) => t.name === 'flow');
    await worker.runUntil(async () => {
      await eventually(
        async () => (await agents.catalog({ fresh: true })).tools.some((t) => t.name === 'files__wait'),
        'MCP tools published',
      );

      // Run A starts on v1 and holds its first tool call in flight.
      const go = join(dir, 'go');
      const runA = await agents.start({
        template: 'flow',
        input: { task: `call files__wait ${JSON.stringify({ file: go })}\ncall files__echo {"text":"still offered"}` },
        user: 'alice',
        model: 'scripted:auto',
      });
      await eventually(async () => existsSync(`${go}.started`), 'run A in its tool call');

      // v2: another prompt, and only files__whoami.
      write('v2 prompt', ['files__whoami']);
      await eventually(async () => (await flow())?.systemPrompt === 'v2 prompt', 'v2 published');
      const runB = await agents.start({
        template: 'flow',
        input: { task: 'call files__echo {"text":"not offered"}\ncall files__whoami {}' },
        user: 'alice',
        model: 'scripted:auto',
      });
      const resultB = await runB.result();
      assert.match(resultB.answer, /^Tool results: files pid \d+$/, 'run B was offered files__whoami only');
      const openingB = await runB.workflow.query(conversationQuery, { from: 0, to: 1 });
      assert.equal(openingB.messages[0].content, 'v2 prompt');

      writeFileSync(go, '');
      const resultA = await runA.result();
      assert.match(
        resultA.answer,
        /^Tool results: waited in files pid \d+ \| echo: still offered$/,
        'run A kept the tools it recorded at start',
      );
      const openingA = await runA.workflow.query(conversationQuery, { from: 0, to: 1 });
      assert.equal(openingA.messages[0].content, 'v1 prompt');

      // A bad file: refused with the field named, and v2 stays.
      writeFileSync(
        file,
        stringify({
          templates: [{ name: 'flow', systemPrompt: 'v3 prompt', tools: [], maxSteps: 0 }],
          mcpServers: { files },
        }),
      );
      await eventually(
        async () =>
          log.some((line) =>
            /^Invalid catalog in .*catalog\.yaml: templates\.0\.maxSteps: .*; keeping the previous catalog$/.test(line),
          ),
        'bad file refused',
      );
      writeFileSync(
        file,
        stringify({
          templates: [{ name: 'flow', systemPrompt: 'v3 prompt', tools: [] }],
          mcpServers: { files: { url: 'http://127.0.0.1:1/mcp', args: ['x'] } },
        }),
      );
      await eventually(
        async () =>
          log.some((line) =>
            /^Invalid catalog in .*: mcpServers\.files\.args: only a command \(stdio\) server takes args; keeping the previous catalog$/.test(
              line,
            ),
          ),
        'second bad file refused',
      );
      assert.equal((await flow())?.systemPrompt, 'v2 prompt');
      const runC = await agents.start({
        template: 'flow',
        input: { task: 'call files__whoami {}' },
        user: 'alice',
        model: 'scripted:auto',
      });
      assert.match((await runC.result()).answer, /^Tool results: files pid \d+$/);
    });
  });

  test('a bad catalog file at start stops the worker with one message naming the field', async () => {
    const file = join(dir, 'bad.json');
    writeFileSync(
      file,
      JSON.stringify({
        templates: [{ name: 'has space', systemPrompt: 'x' }],
        mcpServers: { s: { command: 'x', url: 'http://127.0.0.1:1/mcp' } },
      }),
    );
    await assert.rejects(
      createAgentWorker({
        connection: env.nativeConnection,
        namespace: 'default',
        taskQueue: uniqueTaskQueue('byo-bad'),
        activities: { providerEnv: {} },
        agents: { catalogFile: file },
      }),
      /^CatalogFileError: Invalid catalog in .*bad\.json: templates\.0\.name: use letters, digits, _ and - only, at most 64; mcpServers\.s\.url: give either command \(stdio\) or url \(streamable HTTP\), not both$/,
    );
  });
});
