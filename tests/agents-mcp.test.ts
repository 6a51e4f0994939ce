/**
 * MCP servers from a catalog file, through the real stack: one over stdio (started by the worker), one over
 * streamable HTTP (started here); both killed mid-call, and the run completes once they are back.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { stringify } from 'yaml';
import { runCli } from '../client/cli';
import { createAgentWorker } from '../worker/create-worker';
import { portForAnotherProcess } from '../worker/free-port';
import { agentClient, eventually, startDevEnvironment, uniqueTaskQueue } from '../testing/environment';
import { projectRoot } from '../testing/paths';

const fixture = join(projectRoot, 'tests', 'fixtures', 'mcp-server.ts');

let env: TestWorkflowEnvironment;
let dir: string;

before(async () => {
  env = await startDevEnvironment();
  dir = mkdtempSync(join(tmpdir(), 'byo-mcp-'));
});
after(async () => {
  await env?.teardown();
  rmSync(dir, { recursive: true, force: true });
});

/** The fixture over streamable HTTP on `port`, in a process of its own. */
async function startHttpFixture(port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', fixture, '--http', String(port)], {
    cwd: projectRoot,
    env: { ...process.env, MCP_FIXTURE_INSTANCE: 'web' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => /listening/.test(String(d)) && resolve());
    child.once('exit', (code) => reject(new Error(`MCP fixture exited with ${code}`)));
  });
  child.removeAllListeners('exit');
  return child;
}

async function stop(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}

/** The fixture over stdio, started by the worker. */
const stdioServer = {
  command: process.execPath,
  args: ['--import', 'tsx', fixture],
  cwd: projectRoot,
  env: { MCP_FIXTURE_INSTANCE: 'files' },
};

/** A worker reading `catalogFile`, with its agents log kept for assertions. */
async function fileWorker(taskQueue: string, catalogFile: string) {
  const log: string[] = [];
  const worker = await createAgentWorker({
    connection: env.nativeConnection,
    namespace: 'default',
    taskQueue,
    activities: { providerEnv: {} },
    agents: {
      catalogFile,
      catalogFileCheckIntervalMs: 100,
      mcpReconnectIntervalMs: 200,
      log: (_, message) => void log.push(message),
    },
  });
  return {
    worker,
    log,
    logged: (pattern: RegExp) => eventually(async () => log.some((line) => pattern.test(line)), `log line ${pattern}`),
  };
}

describe('MCP servers from the catalog file', () => {
  test('tools of a stdio and a streamable HTTP server are listed with their source and called by a run', async () => {
    const taskQueue = uniqueTaskQueue('byo-mcp');
    const port = await portForAnotherProcess();
    const web = await startHttpFixture(port);
    const file = join(dir, 'both.yaml');
    writeFileSync(
      file,
      stringify({
        templates: [{ name: 'mcp_both', systemPrompt: 'You use MCP tools.', tools: ['files__*', 'web__add'] }],
        mcpServers: { files: stdioServer, web: { url: `http://127.0.0.1:${port}/mcp` } },
      }),
    );
    const agents = agentClient(env, taskQueue);
    const { worker } = await fileWorker(taskQueue, file);
    try {
      await worker.runUntil(async () => {
        const catalog = await eventually(async () => {
          const c = await agents.catalog({ fresh: true });
          return c.tools.some((t) => t.name === 'web__add') && c.tools.some((t) => t.name === 'files__echo') && c;
        }, 'MCP tools published');
        const tools = Object.fromEntries(catalog.tools.map((t) => [t.name, t]));
        assert.equal(tools.files__echo.source, 'mcp:files');
        assert.equal(tools.web__add.source, 'mcp:web');
        assert.deepEqual((tools.web__add.parameters as { required: string[] }).required, ['a', 'b']);
        assert.equal(catalog.templates.find((t) => t.name === 'mcp_both')?.source, 'catalog-file');

        let stdout = '';
        const code = await runCli(['tools'], {
          stdout: { write: (t: string) => (stdout += t) },
          stderr: { write: () => true },
          env: { TEMPORAL_ADDRESS: env.address, AGENT_TASK_QUEUE: taskQueue },
        });
        assert.equal(code, 0);
        assert.match(stdout, /\nfiles__echo\s+mcp:files\s+-\s+Echoes the text back\./);
        assert.match(stdout, /\nweb__add\s+mcp:web\s+-\s+Adds two numbers\./);

        const handle = await agents.start({
          template: 'mcp_both',
          input: { task: 'call files__echo {"text":"hi"}\ncall web__add {"a":2,"b":3}\ncall files__fail {}' },
          user: 'alice',
          model: 'scripted:auto',
        });
        const result = await handle.result();
        // The tool's own MCP error goes back to the model as an error tool message; the run goes on.
        assert.match(
          result.answer,
          /^Tool results: echo: hi \| 5 \| Error: MCP tool 'fail' on server 'files' returned an error: this tool always fails/,
        );
      });
    } finally {
      await stop(web);
    }
  });

  test('servers killed mid-call: the stdio one is started again, the HTTP one reached once back, and the run completes', async () => {
    const taskQueue = uniqueTaskQueue('byo-mcp-kill');
    const port = await portForAnotherProcess();
    let web = await startHttpFixture(port);
    const file = join(dir, 'kill.json');
    writeFileSync(
      file,
      JSON.stringify({
        templates: [{ name: 'mcp_wait', systemPrompt: 'You wait.', tools: ['files__*', 'web__*'] }],
        mcpServers: { files: stdioServer, web: { url: `http://127.0.0.1:${port}/mcp` } },
      }),
    );
    const agents = agentClient(env, taskQueue);
    const { worker, logged } = await fileWorker(taskQueue, file);
    const [go1, go2] = [join(dir, 'go1'), join(dir, 'go2')];
    try {
      await worker.runUntil(async () => {
        await eventually(
          async () => (await agents.catalog({ fresh: true })).tools.some((t) => t.name === 'web__wait'),
          'MCP tools published',
        );
        const task = [
          `call files__wait ${JSON.stringify({ file: go1 })}`,
          `call web__wait ${JSON.stringify({ file: go2 })}`,
          'call files__whoami {}',
        ].join('\n');
        const handle = await agents.start({
          template: 'mcp_wait',
          input: { task },
          user: 'alice',
          model: 'scripted:auto',
        });

        await eventually(async () => existsSync(`${go1}.started`), 'files__wait in flight');
        const killed = Number(readFileSync(`${go1}.started`, 'utf8'));
        process.kill(killed, 'SIGKILL');
        await logged(/MCP server "files" disconnected/);
        writeFileSync(go1, '');

        await eventually(async () => existsSync(`${go2}.started`), 'web__wait in flight');
        await stop(web, 'SIGKILL');
        await logged(/MCP server "web" disconnected/);
        web = await startHttpFixture(port);
        writeFileSync(go2, '');

        const result = await handle.result();
        assert.equal(result.status, 'completed');
        const [waitedFiles, waitedWeb, whoami] = result.answer.replace(/^Tool results: /, '').split(' | ');
        assert.match(waitedFiles, /^waited in files pid \d+$/);
        assert.notEqual(Number(/pid (\d+)/.exec(waitedFiles)![1]), killed, 'answered by a new stdio server process');
        assert.match(waitedWeb, /^waited in web pid \d+$/);
        assert.equal(Number(/pid (\d+)/.exec(waitedWeb)![1]), web.pid, 'answered by the restarted HTTP server');
        assert.match(whoami, /^files pid \d+$/);
      });
    } finally {
      await stop(web);
    }
  });
});
