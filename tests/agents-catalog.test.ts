/**
 * Your own tools and templates in code: the worker publishes them to Temporal, `AgentClient` and `agentctl`
 * list them with their source, and a run with an unknown template or tool starts nothing.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { tool } from '@langchain/core/tools';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { z } from 'zod';
import { AgentError } from '../agents/errors';
import { AgentClient } from '../client';
import { runCli } from '../client/cli';
import { createAgentWorker } from '../worker/create-worker';
import type { AgentsOptions } from '../worker/agents/worker-agents';
import { agentClient, eventually, startDevEnvironment, uniqueTaskQueue } from '../testing/environment';
import { startWorkerProcess } from '../testing/worker-process';

let env: TestWorkflowEnvironment;

before(async () => {
  env = await startDevEnvironment();
});
after(async () => {
  await env?.teardown();
});

const lookupCity = tool(({ city }) => JSON.stringify({ city, population: city.length * 1000 }), {
  name: 'lookup_city',
  description: 'Looks a city up.',
  schema: z.object({ city: z.string().describe('City name') }),
});
const heavySum = tool(({ values }) => String(values.reduce((a, b) => a + b, 0)), {
  name: 'heavy_sum',
  description: 'Adds numbers on the heavy pool.',
  schema: z.object({ values: z.array(z.number()) }),
});
const cityReport = {
  name: 'city_report',
  description: 'Reports on a city.',
  systemPrompt: 'You report on cities.',
  tools: ['lookup_*'],
  maxSteps: 4,
  input: z.object({ task: z.string().min(1) }),
  outputSchema: z.object({ city: z.string(), population: z.number().int() }),
};

function worker(taskQueue: string, agents: AgentsOptions) {
  return createAgentWorker({
    connection: env.nativeConnection,
    namespace: 'default',
    taskQueue,
    activities: { providerEnv: {} },
    agents,
  });
}

async function cli(args: string[], taskQueue: string): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t) },
    env: { TEMPORAL_ADDRESS: env.address, AGENT_TASK_QUEUE: taskQueue },
  });
  return { code, stdout, stderr };
}

describe('agents in code', () => {
  test('a worker publishes its tools and templates; AgentClient and agentctl list them with their source; shutdown withdraws them', async () => {
    const taskQueue = uniqueTaskQueue('byo-code');
    const agents = agentClient(env, taskQueue);
    // A second, plain worker (worker/main.ts) stays up: it serves the catalog workflow after the first one stops.
    const plain = await startWorkerProcess({ TEMPORAL_ADDRESS: env.address, AGENT_TASK_QUEUE: taskQueue });
    const w = await worker(taskQueue, {
      tools: [lookupCity, { tool: heavySum, taskQueue: 'heavy-pool' }],
      templates: [cityReport],
    });
    try {
      await w.runUntil(async () => {
        const catalog = await eventually(async () => {
          const c = await agents.catalog({ fresh: true });
          return c.workers.length === 2 && c;
        }, 'both workers published');
        assert.equal(catalog.origin, 'published');
        const tools = Object.fromEntries(catalog.tools.map((t) => [t.name, t]));
        assert.deepEqual(Object.keys(tools).sort(), [
          'calculator',
          'current_time',
          'heavy_sum',
          'lookup_city',
          'word_count',
        ]);
        assert.equal(tools.lookup_city.source, 'code');
        assert.equal(tools.lookup_city.taskQueue, undefined);
        assert.deepEqual((tools.lookup_city.parameters as { required: string[] }).required, ['city']);
        assert.equal(tools.heavy_sum.taskQueue, 'heavy-pool');
        assert.equal(tools.calculator.source, 'builtin');
        const report = catalog.templates.find((t) => t.name === 'city_report')!;
        assert.equal(report.source, 'code');
        assert.equal(report.maxSteps, 4);
        assert.deepEqual(report.tools, ['lookup_*']);
        assert.deepEqual((report.outputSchema as { required: string[] }).required, ['city', 'population']);
        assert.deepEqual((report.inputSchema as { required: string[] }).required, ['task']);
        assert.deepEqual(catalog.templates.map((t) => t.name).sort(), ['chat', 'city_report', 'react', 'structured']);

        const toolsJson = await cli(['tools', '--json'], taskQueue);
        assert.equal(toolsJson.code, 0, toolsJson.stderr);
        assert.deepEqual(JSON.parse(toolsJson.stdout), catalog.tools);
        const toolsTable = await cli(['tools'], taskQueue);
        assert.match(toolsTable.stdout, /^TOOL\s+SOURCE\s+TASK QUEUE\s+DESCRIPTION\n/);
        assert.match(toolsTable.stdout, /\nheavy_sum\s+code\s+heavy-pool\s+Adds numbers/);
        assert.match(toolsTable.stdout, /\ncalculator\s+builtin\s+-\s+Evaluates/);
        assert.match(toolsTable.stdout, /\(published by 2 workers on task queue "byo-code-/);
        const templatesTable = await cli(['templates'], taskQueue);
        assert.match(templatesTable.stdout, /\ncity_report\s+code\s+4\s+lookup_\*\s+Reports on a city\./);
      });
      // Graceful shutdown withdrew the first worker's catalog; the plain worker's stays.
      const left = await eventually(async () => {
        const c = await agents.catalog({ fresh: true });
        return c.workers.length === 1 && c;
      }, 'withdrawn catalog');
      assert.equal(left.origin, 'published');
      assert.deepEqual(left.tools.map((t) => t.name).sort(), ['calculator', 'current_time', 'word_count']);
      assert.deepEqual(left.templates.map((t) => t.name).sort(), ['chat', 'react', 'structured']);
      assert.match(plain.output(), /catalog published to agent-catalog\/byo-code-/);
    } finally {
      await plain.kill();
    }
  });

  test('builtins: false leaves the built-ins out; an unknown template or tool is a typed error and starts nothing', async () => {
    const taskQueue = uniqueTaskQueue('byo-unknown');
    const agents = agentClient(env, taskQueue);
    const broken = {
      name: 'broken',
      systemPrompt: 'You need a tool nobody offers.',
      tools: ['lookup_city', 'missing_*'],
    };
    const w = await worker(taskQueue, { builtins: false, tools: [lookupCity], templates: [cityReport, broken] });
    await w.runUntil(async () => {
      const catalog = await eventually(async () => {
        const c = await agents.catalog({ fresh: true });
        return c.origin === 'published' && c;
      }, 'published catalog');
      assert.deepEqual(
        catalog.tools.map((t) => t.name),
        ['lookup_city'],
      );
      assert.deepEqual(catalog.templates.map((t) => t.name).sort(), ['broken', 'city_report']);

      const refused = async (template: string, type: string, pattern: RegExp) => {
        const runId = `run-${template}-${taskQueue}`;
        await assert.rejects(
          agents.start({ template, input: { task: 'Paris' }, user: 'alice', model: 'scripted:auto', runId }),
          (err: unknown) => {
            assert.ok(err instanceof AgentError);
            assert.equal(err.type, type);
            assert.match(err.message, pattern);
            return true;
          },
        );
        await assert.rejects(env.client.workflow.getHandle(runId).describe(), WorkflowNotFoundError);
      };
      await refused('react', 'UnknownTemplate', /Unknown template "react"; use one of .*city_report/);
      await refused('broken', 'UnknownTool', /Unknown tool\(s\) missing_\*; available: lookup_city/);
      const cliStart = await cli(
        ['start', 'nope', '--input', '{"task":"x"}', '--user', 'alice', '--model', 'scripted:auto'],
        taskQueue,
      );
      assert.equal(cliStart.code, 1);
      assert.match(cliStart.stderr, /^error: UnknownTemplate: Unknown template "nope"/);
    });
  });

  test('the built-in fallback is not cached: the first read after a worker publishes gets its catalog, built-ins local', async () => {
    const taskQueue = uniqueTaskQueue('catalog-fallback');
    // A cache far longer than the test: only a fallback that is never cached lets the published catalog through.
    const agents = new AgentClient(env.client, { taskQueue, catalogCacheMs: 600_000 });
    const before = await agents.catalog();
    assert.equal(before.origin, 'builtin');
    assert.ok(
      before.tools.every((t) => !t.local),
      'the fallback cannot know whether a worker runs built-ins locally',
    );
    const w = await worker(taskQueue, {});
    await w.runUntil(async () => {
      const watcher = agentClient(env, taskQueue);
      await eventually(async () => (await watcher.catalog({ fresh: true })).origin === 'published', 'published');
      const after = await agents.catalog();
      assert.equal(after.origin, 'published');
      assert.equal(after.tools.find((t) => t.name === 'calculator')?.local, true);
    });
  });

  test('two tools of one name stop the worker before it starts, saying how to fix it', async () => {
    const twin = tool(() => '1', { name: 'calculator', description: 'not the built-in', schema: z.object({}) });
    await assert.rejects(
      worker(uniqueTaskQueue('byo-twin'), { tools: [twin] }),
      /Two tools are named "calculator" \(builtin and code\); rename one or leave out the built-ins/,
    );
  });
});

describe('runs with your own agents', () => {
  test('a code template with structured output calls a code tool through the real stack', async () => {
    const taskQueue = uniqueTaskQueue('byo-run');
    const agents = agentClient(env, taskQueue);
    const calls: unknown[] = [];
    const lookup = tool(
      (args) => {
        calls.push(args);
        return JSON.stringify({ city: args.city, population: 2_100_000 });
      },
      { name: 'lookup_city', description: 'Looks a city up.', schema: z.object({ city: z.string() }) },
    );
    const w = await worker(taskQueue, { builtins: false, tools: [lookup], templates: [cityReport] });
    await w.runUntil(async () => {
      await eventually(async () => (await agents.catalog({ fresh: true })).origin === 'published', 'published catalog');
      const handle = await agents.start({
        template: 'city_report',
        input: { task: 'Report on Paris.\ncall lookup_city {"city":"Paris"}' },
        user: 'alice',
        model: 'scripted:auto',
      });
      const result = await handle.result();
      assert.equal(result.status, 'completed');
      assert.deepEqual(calls, [{ city: 'Paris' }]);
      // The scripted model answers from the recorded schema; the run checked it against that schema.
      assert.deepEqual(result.output, { city: 'example', population: 42 });
      const state = await handle.state();
      assert.equal(state.template, 'city_report');
      // Bad template input is refused by the published input schema before anything starts.
      await assert.rejects(
        agents.start({ template: 'city_report', input: { task: '' }, user: 'alice', model: 'scripted:auto' }),
        (err: unknown) => err instanceof AgentError && err.type === 'InvalidInput',
      );
    });
  });
});

describe('tools on their own task queue', () => {
  test("a tool that names a task queue runs on that queue's workers", async () => {
    const taskQueue = uniqueTaskQueue('byo-main');
    const heavyQueue = uniqueTaskQueue('byo-heavy');
    const ranOn: string[] = [];
    const sum = (where: string) =>
      tool(
        ({ values }) => {
          ranOn.push(where);
          return String(values.reduce((a, b) => a + b, 0));
        },
        {
          name: 'heavy_sum',
          description: 'Adds numbers on the heavy pool.',
          schema: z.object({ values: z.array(z.number()) }),
        },
      );
    const agents = agentClient(env, taskQueue);
    const main = await worker(taskQueue, {
      tools: [{ tool: sum('main'), taskQueue: heavyQueue }],
      templates: [{ name: 'summer', systemPrompt: 'You add.', tools: ['heavy_sum'] }],
    });
    const heavy = await worker(heavyQueue, { builtins: false, tools: [sum('heavy')] });
    await heavy.runUntil(
      main.runUntil(async () => {
        await eventually(
          async () => (await agents.catalog({ fresh: true })).tools.some((t) => t.taskQueue === heavyQueue),
          'published catalog',
        );
        const handle = await agents.start({
          template: 'summer',
          input: { task: 'call heavy_sum {"values":[1,2,3]}' },
          user: 'alice',
          model: 'scripted:auto',
        });
        const result = await handle.result();
        assert.equal(result.answer, 'Tool results: 6');
        assert.deepEqual(ranOn, ['heavy']);
      }),
    );
  });
});
