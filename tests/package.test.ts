/**
 * The project as an installed package: `npm pack`, then `npm install` of the tarball in a copy of
 * examples/own-agent. That project's plain-JavaScript worker and client (no tsx) run a built-in template, and the
 * example's own worker runs its own tool (calling its HTTP service) and template, on a real dev server.
 * One file and one project, so the package is packed and installed once.
 */
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { startDevEnvironment, uniqueTaskQueue } from '../testing/environment';
import { projectRoot } from '../testing/paths';
import type { ChildProcess } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { spawnGroup, stopGroup } from '../testing/process-group';

let env: TestWorkflowEnvironment;
let project: string;
let runId: string | undefined;
let tarball: string;
const timings: Record<string, number> = {};

/** Runs a command to its end in a process group of its own; rejects with its output unless it exits 0. */
function run(command: string, args: string[], cwd: string, extraEnv: Record<string, string> = {}): Promise<string> {
  const child = spawnGroup(command, args, {
    cwd,
    env: { ...process.env, ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) =>
      code === 0
        ? resolve(stdout)
        : reject(new Error(`${command} ${args.join(' ')} exited ${code}:\n${stdout}\n${stderr}`)),
    );
  });
}

async function timed<T>(what: string, fn: () => Promise<T>): Promise<T> {
  const start = Date.now();
  try {
    return await fn();
  } finally {
    timings[what] = (Date.now() - start) / 1000;
  }
}

// What a user writes: their own worker and client from the installed package, plain JavaScript.
const userScript = `
import { existsSync } from 'node:fs';
import { createAgentWorker, defaultBundlePath, NativeConnection } from 'temporal-agents/worker';
import { AgentClient, connectClient } from 'temporal-agents/client';
import { ErrorType } from 'temporal-agents';

const taskQueue = process.env.AGENT_TASK_QUEUE;
const connection = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS });
const worker = await createAgentWorker({ connection, namespace: 'default', taskQueue, activities: { providerEnv: {} } });
const temporal = await connectClient();
const agents = new AgentClient(temporal, { taskQueue });
const result = await worker.runUntil(async () => {
  const run = await agents.start({ template: 'chat', input: { message: 'hello from an installed package' }, model: 'scripted:auto', user: 'package-user' });
  return { runId: run.runId, ...(await run.result()) };
});
let unknown;
try {
  await agents.start({ template: 'no-such-template', input: {}, model: 'scripted:auto', user: 'package-user' });
} catch (err) {
  unknown = err.type;
}
console.log(JSON.stringify({ bundle: defaultBundlePath, bundleFound: existsSync(defaultBundlePath), result, unknown, knownType: ErrorType.UnknownTemplate }));
await temporal.connection.close();
await connection.close();
`;

// The same from TypeScript: the declarations resolve through the exports map and carry real types.
const userTypes = `
import { createAgentWorker, type AgentWorkerOptions } from 'temporal-agents/worker';
import { AgentClient, type RunResult } from 'temporal-agents/client';
import { AgentError } from 'temporal-agents';

export const create: (options: AgentWorkerOptions) => Promise<unknown> = createAgentWorker;
export type Answer = RunResult['answer'];
export const isAgentError = (e: unknown): e is AgentError => e instanceof AgentError;
export type Start = AgentClient['start'];
// @ts-expect-error a task queue is a string (this line errs only if the types are real)
export const queue: AgentWorkerOptions['taskQueue'] = 42;
`;

before(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'agents-package-'));
  env = await startDevEnvironment();
  const packed = await timed('npm pack (with build)', () =>
    run('npm', ['pack', '--silent', '--pack-destination', dir], projectRoot),
  );
  tarball = join(dir, packed.trim().split('\n').pop()!);
  // The user project is a copy of examples/own-agent, as a user would have it, depending on the tarball just packed.
  project = join(dir, 'own-agent');
  cpSync(join(projectRoot, 'examples', 'own-agent'), project, {
    recursive: true,
    filter: (src) => !src.includes('node_modules'),
  });
  const manifest = JSON.parse(readFileSync(join(project, 'package.json'), 'utf8'));
  manifest.dependencies['temporal-agents'] = `file:${tarball}`;
  writeFileSync(join(project, 'package.json'), JSON.stringify(manifest, null, 2));
  await timed('npm install of the tarball', () =>
    run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund'], project),
  );
});

after(async () => {
  console.log(`package test timings (s): ${JSON.stringify(timings)}`);
  await env?.teardown();
});

test('the installed package carries compiled JavaScript, declarations, the workflow bundle and no tsx', () => {
  const pkg = join(project, 'node_modules', 'temporal-agents');
  for (const file of [
    'build/worker/index.js',
    'build/worker/index.d.ts',
    'build/client/index.js',
    'build/client/index.d.ts',
    'build/agents/index.d.ts',
    'dist/workflow-bundle.js',
    'bin/agentctl.js',
  ]) {
    assert.ok(existsSync(join(pkg, file)), `${file} is in the package`);
  }
  for (const source of ['worker/main.ts', 'client/index.ts', 'tests', 'scripts'])
    assert.ok(!existsSync(join(pkg, source)), `${source} is not in the package`);
  assert.ok(!existsSync(join(project, 'node_modules', 'tsx')), 'tsx is not installed with the package');
});

test("a user's plain-JavaScript worker and client from the package run the chat template", async () => {
  writeFileSync(join(project, 'agent.mjs'), userScript);
  const out = await timed('user script', () =>
    run(process.execPath, ['agent.mjs'], project, {
      TEMPORAL_ADDRESS: env.address,
      AGENT_TASK_QUEUE: uniqueTaskQueue('package'),
    }),
  );
  const report = JSON.parse(out.trim().split('\n').pop()!);
  assert.equal(
    realpathSync(report.bundle),
    realpathSync(join(project, 'node_modules', 'temporal-agents', 'dist', 'workflow-bundle.js')),
    'the prebuilt bundle is found in the package',
  );
  assert.equal(report.bundleFound, true);
  assert.equal(report.result.status, 'completed', JSON.stringify(report.result));
  assert.match(report.result.answer, /hello from an installed package/);
  assert.equal(report.result.usage.modelCalls, 1);
  assert.equal(report.unknown, 'UnknownTemplate');
  assert.equal(report.knownType, 'UnknownTemplate');
  runId = report.result.runId;
});

test('agentctl from the package runs compiled, without tsx', async () => {
  assert.ok(runId, 'the run of the previous test');
  const out = await run(join(project, 'node_modules', '.bin', 'agentctl'), ['result', runId, '--json'], project, {
    TEMPORAL_ADDRESS: env.address,
  });
  const result = JSON.parse(out);
  assert.equal(result.status, 'completed', out);
  assert.match(result.answer, /hello from an installed package/);
});

test('TypeScript code type-checks against the declarations the package exports', async () => {
  writeFileSync(join(project, 'check.ts'), userTypes);
  const tsconfig = {
    compilerOptions: {
      module: 'node16',
      moduleResolution: 'node16',
      target: 'ES2022',
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      types: ['node'],
      typeRoots: [join(projectRoot, 'node_modules', '@types')],
    },
    files: ['check.ts'],
  };
  writeFileSync(join(project, 'tsconfig.json'), JSON.stringify(tsconfig));
  await timed('tsc on user code', () =>
    run(process.execPath, [join(projectRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', '.'], project),
  );
});

/** Lines of a child's stdout, and a wait for the first line that matches. */
function watchLines(child: ChildProcess): {
  output: () => string;
  waitFor: (pattern: RegExp, what: string) => Promise<string>;
} {
  let output = '';
  const waiters: Array<() => void> = [];
  child.stdout!.on('data', (d) => {
    output += d;
    for (const wake of waiters.splice(0)) wake();
  });
  child.stderr!.on('data', (d) => (output += d));
  const waitFor = (pattern: RegExp, what: string) =>
    new Promise<string>((resolve, reject) => {
      const check = () => {
        const line = output.split('\n').find((l) => pattern.test(l));
        if (line) return resolve(line);
        if (child.exitCode !== null)
          return reject(new Error(`${what}: the process exited ${child.exitCode}:\n${output}`));
        waiters.push(check);
      };
      child.once('exit', check);
      check();
    });
  return { output: () => output, waitFor };
}

test('examples/own-agent depends on the same @langchain/core and zod as the package (one copy of each)', () => {
  const root = JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8'));
  const example = JSON.parse(readFileSync(join(projectRoot, 'examples', 'own-agent', 'package.json'), 'utf8'));
  for (const dep of ['@langchain/core', 'zod']) assert.equal(example.dependencies[dep], root.dependencies[dep], dep);
  for (const dep of ['@langchain/core', 'zod'])
    assert.ok(
      !existsSync(join(project, 'node_modules', 'temporal-agents', 'node_modules', dep)),
      `${dep} is not installed twice`,
    );
});

test('examples/own-agent, installed from the tarball, runs its own tool (calling its HTTP service) and structured-output template', async () => {
  const example = project;
  const { startInventoryService } = (await import(pathToFileURL(join(example, 'service.mjs')).href)) as {
    startInventoryService: () => Promise<{ url: string; requests: string[]; close: () => Promise<void> }>;
  };
  const service = await startInventoryService();
  const exampleEnv = {
    TEMPORAL_ADDRESS: env.address,
    AGENT_TASK_QUEUE: uniqueTaskQueue('own-agent'),
    INVENTORY_URL: service.url,
  };
  const worker = spawnGroup(process.execPath, ['worker.mjs'], {
    cwd: example,
    env: { ...process.env, ...exampleEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const workerOut = watchLines(worker);
  try {
    // The client resolves runs against what the workers published: start once the worker has.
    await timed('example worker start', () =>
      workerOut.waitFor(/catalog published/, 'the example worker publishes its catalog'),
    );
    const task = 'Can we ship SKU-3 today?\ncall check_stock {"sku":"SKU-3"}';
    const out = await timed('example start.mjs', () =>
      run(process.execPath, ['start.mjs', 'scripted:auto'], example, { ...exampleEnv, TASK: task }),
    );
    const result = JSON.parse(out.trim().split('\n').pop()!);

    assert.deepEqual(
      service.requests,
      ['GET /stock/SKU-3'],
      'the tool called the inventory service once, for the sku the model asked',
    );
    assert.equal(result.status, 'completed', out);
    assert.equal(result.finishReason, 'answer', out);
    assert.equal(result.usage.toolCalls, 1, out);
    // The structured output satisfies the template's schema (the scripted model answers from the schema).
    const output = result.output as Record<string, unknown>;
    assert.deepEqual(Object.keys(output ?? {}).sort(), ['available', 'quantity', 'sku', 'warehouse'], out);
    assert.equal(typeof output.sku, 'string');
    assert.equal(typeof output.available, 'boolean');
    assert.ok(Number.isInteger(output.quantity) && (output.quantity as number) >= 0, out);
    assert.equal(typeof output.warehouse, 'string');
    assert.deepEqual(JSON.parse(result.answer), output, 'the answer is the structured output as JSON');

    // The tool's answer (from the service) is what the workflow recorded and gave the model.
    const history = await env.client.workflow.getHandle(result.runId).fetchHistory();
    const activityResults = (history.events ?? []).flatMap(
      (e) => e.activityTaskCompletedEventAttributes?.result?.payloads ?? [],
    );
    assert.ok(
      activityResults.some((p) =>
        Buffer.from(p.data ?? [])
          .toString('utf8')
          .includes('Porto'),
      ),
      'a recorded activity result carries the inventory service answer',
    );
  } finally {
    await stopGroup(worker, 'SIGTERM', 15_000);
    await service.close();
  }
  assert.match(workerOut.output(), /worker polling/);
});
