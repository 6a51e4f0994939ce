/**
 * Sub-agents through the real stack: templates in code offer templates as tools (`agent:<name>`); calls start
 * child workflows that run concurrently, answer as tool results, roll their usage up, show in state, events and
 * `agentctl ls --parent`, and obey the parent's stop, pause and cancel. Cycles and trees too deep start nothing.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { tool } from '@langchain/core/tools';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { z } from 'zod';
import { addUsage, emptyUsage, type Usage } from '../agents/conversation';
import { AgentError } from '../agents/errors';
import type { RunEvent } from '../agents/events';
import { eventsQuery } from '../agents/messages';
import { resolveRun } from '../agents/resolve-run';
import { agentParentKey, agentTemplateKey } from '../agents/search-attributes';
import type { AgentClient } from '../client';
import { runCli } from '../client/cli';
import { agentClient, eventually, startDevEnvironment, uniqueTaskQueue } from '../testing/environment';
import { createAgentWorker } from '../worker/create-worker';
import { runWorkflowType } from '../agents/run-workflow-type';

const templates = [
  { name: 'researcher', description: 'Finds facts.', systemPrompt: 'You research.', tools: ['calculator'] },
  { name: 'writer', description: 'Writes a line.', systemPrompt: 'You write.' },
  {
    name: 'coordinator',
    description: 'Delegates.',
    systemPrompt: 'You delegate.',
    tools: ['agent:researcher', 'agent:writer'],
  },
  { name: 'strict_counter', systemPrompt: 'You count.', outputSchema: { type: 'integer', maximum: 1 } },
  { name: 'delegator', systemPrompt: 'You delegate counting.', tools: ['agent:strict_counter', 'agent:writer'] },
  { name: 'loop_a', systemPrompt: 'A.', tools: ['agent:loop_b'] },
  { name: 'loop_b', systemPrompt: 'B.', tools: ['agent:loop_a'] },
  { name: 'lonely', systemPrompt: 'L.', tools: ['agent:nobody'] },
  { name: 'serial', systemPrompt: 'One at a time.', tools: ['agent:writer'], maxSteps: 12 },
  { name: 'mixed', systemPrompt: 'Tools and helpers.', tools: ['slow_tool', 'agent:researcher'] },
  // d1 -> d2 -> d3 -> d4 -> d5: d5 is 4 levels below d1.
  ...[1, 2, 3, 4, 5].map((n) => ({
    name: `d${n}`,
    systemPrompt: `Level ${n}.`,
    tools: n < 5 ? [`agent:d${n + 1}`] : [],
  })),
];

/** A tool that answers only when its call is cancelled: a step with it is still running when the parent stops. */
const slowTool = tool(
  (_args, config) =>
    new Promise<string>((_, reject) =>
      config?.signal?.addEventListener('abort', () => reject(new Error('cancelled')), { once: true }),
    ),
  { name: 'slow_tool', description: 'Takes its time.', schema: z.object({}) },
);

let env: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;
let taskQueue: string;
let agents: AgentClient;

before(async () => {
  env = await startDevEnvironment();
  taskQueue = uniqueTaskQueue('sub-agents');
  worker = await createAgentWorker({
    connection: env.nativeConnection,
    namespace: 'default',
    taskQueue,
    activities: { providerEnv: {} },
    agents: { templates, tools: [slowTool] },
  });
  running = worker.run();
  agents = agentClient(env, taskQueue);
  await eventually(
    async () => (await agents.catalog({ fresh: true })).templates.some((t) => t.name === 'coordinator'),
    'published catalog',
  );
});

after(async () => {
  if (worker) {
    worker.shutdown();
    await running;
  }
  await env?.teardown();
});

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t) },
    env: { TEMPORAL_ADDRESS: env.address, AGENT_TASK_QUEUE: taskQueue },
  });
  return { code, stdout, stderr };
}

async function events(runId: string): Promise<RunEvent[]> {
  return (await agents.getHandle(runId).workflow.query(eventsQuery, { after: 0 })).events;
}

function sum(...usages: Usage[]): Usage {
  return usages.reduce((total, u) => addUsage(total, u), emptyUsage());
}

const twoSpecialists = 'call researcher {"task":"What is 6 * 7?"}\ncall writer {"task":"Write a line."}';

describe('a coordinator with two specialists', () => {
  test('both run concurrently as child workflows; answers, usage, state, events, ls --parent and the ledger add up', async () => {
    const user = `sub-${taskQueue}`;
    const parent = await agents.start({
      template: 'coordinator',
      input: { task: twoSpecialists },
      user,
      model: 'scripted:auto?parallel=1&delayMs=300',
    });
    const result = await parent.result();
    const researcherId = `${parent.runId}.call_1_1`;
    const writerId = `${parent.runId}.call_1_2`;
    const researcher = await agents.getHandle(researcherId).result();
    const writer = await agents.getHandle(writerId).result();
    assert.equal(researcher.answer, 'The answer is 42.');
    assert.equal(writer.answer, 'Scripted reply (turn 1): you said "Write a line.".');
    assert.equal(result.status, 'completed');
    assert.equal(result.answer, `Tool results: ${researcher.answer} | ${writer.answer}`);

    // Concurrent: each child started before either closed.
    const [r, w] = await Promise.all(
      [researcherId, writerId].map((id) => env.client.workflow.getHandle(id).describe()),
    );
    assert.ok(r.startTime < w.closeTime! && w.startTime < r.closeTime!, 'children ran one after the other');
    assert.equal(r.typedSearchAttributes.get(agentParentKey), parent.runId);
    assert.equal(w.typedSearchAttributes.get(agentTemplateKey), 'writer');
    // The UI labels each child with its call, as it labels a tool's activity.
    assert.equal(
      await r.staticSummary(),
      `researcher(What is 6 * 7?) · researcher sub-agent of ${parent.runId} for ${user}`,
    );
    assert.equal(await w.staticSummary(), `writer(Write a line.) · writer sub-agent of ${parent.runId} for ${user}`);

    // Usage: own (2 model calls, 2 sub-agent calls) plus each child's, exactly.
    assert.equal(result.ownUsage?.modelCalls, 2);
    assert.equal(result.ownUsage?.toolCalls, 2);
    assert.equal(researcher.usage.modelCalls, 2);
    assert.equal(researcher.usage.toolCalls, 1);
    assert.equal(writer.usage.modelCalls, 1);
    assert.deepEqual(result.usage, sum(result.ownUsage!, researcher.usage, writer.usage));

    const state = await parent.state();
    assert.deepEqual(state.usage, result.usage);
    assert.deepEqual(
      state.children?.map((c) => [c.runId, c.template, c.status, c.usage]),
      [
        [researcherId, 'researcher', 'completed', researcher.usage],
        [writerId, 'writer', 'completed', writer.usage],
      ],
    );
    assert.equal((await agents.getHandle(writerId).state()).parent, parent.runId);

    const log = await events(parent.runId);
    const started = log.filter((e) => e.type === 'child.started').map((e) => (e.data as { runId: string }).runId);
    const finished = log
      .filter((e) => e.type === 'child.finished')
      .map((e) => e.data as { runId: string; status: string });
    assert.deepEqual(started.sort(), [researcherId, writerId]);
    assert.deepEqual(finished.map((d) => d.runId).sort(), [researcherId, writerId]);
    assert.ok(finished.every((d) => d.status === 'completed'));

    const listed = await eventually(async () => {
      const out = await cli(['ls', '--parent', parent.runId, '--json']);
      const runs = JSON.parse(out.stdout) as { runId: string; parent: string }[];
      return runs.length === 2 && runs;
    }, 'children listed by AgentParent');
    assert.deepEqual(listed.map((run) => run.runId).sort(), [researcherId, writerId]);
    assert.ok(listed.every((run) => run.parent === parent.runId));
    const table = await cli(['state', parent.runId]);
    assert.match(table.stdout, new RegExp(`child\\s+${researcherId.replace(/\./g, '\\.')}\\s+researcher\\s+completed`));

    // Each model call charged once, by the run that made it: the ledger holds what the parent rolled up.
    const charged = await eventually(async () => {
      const usage = await agents.usage(user);
      return usage.day.calls === result.usage.modelCalls && usage;
    }, 'ledger charged');
    assert.equal(charged.day.inputTokens, result.usage.inputTokens);
    assert.equal(charged.day.outputTokens, result.usage.outputTokens);
  });

  test('a failed child is an error tool result with its type; the parent goes on and counts its usage', async () => {
    const parent = await agents.start({
      template: 'delegator',
      input: { task: 'call strict_counter {"task":"count"}\ncall writer {"task":"Write."}' },
      user: 'sub-fail',
      model: 'scripted:auto?parallel=1',
    });
    const result = await parent.result();
    assert.equal(result.status, 'completed');
    assert.match(result.answer, /^Tool results: OutputInvalid: [\s\S]* \| Scripted reply/);
    const state = await parent.state();
    const failed = state.children!.find((c) => c.template === 'strict_counter')!;
    assert.equal(failed.status, 'failed');
    assert.equal(failed.error?.type, 'OutputInvalid');
    // The failed child's two model calls (answer, repair) are in the parent's usage.
    assert.equal(failed.usage?.modelCalls, 2);
    assert.equal(result.usage.modelCalls, 2 + 2 + 1);
  });
});

describe('a parent that continues as new', () => {
  test('its children and their usage are carried: all are listed and counted once', async () => {
    const lines = Array.from({ length: 8 }, (_, i) => `call writer {"task":"Line ${i + 1}."}`);
    const parent = await agents.start({
      template: 'serial',
      input: { task: lines.join('\n') },
      user: 'sub-long',
      model: 'scripted:auto',
      options: { historyEventLimit: 100 },
    });
    const result = await parent.result();
    assert.equal(result.status, 'completed');
    const state = await parent.state();
    assert.ok(state.continuations > 0, 'the run continued as new');
    assert.equal(state.children?.length, 8);
    const children = await Promise.all(state.children!.map((c) => agents.getHandle(c.runId).result()));
    assert.deepEqual(
      children.map((c) => c.answer),
      lines.map((_, i) => `Scripted reply (turn 1): you said "Line ${i + 1}.".`),
    );
    assert.equal(result.ownUsage?.modelCalls, 9);
    assert.deepEqual(result.usage, sum(result.ownUsage!, ...children.map((c) => c.usage)));
  });
});

describe('trees that may not start', () => {
  async function refused(template: string, type: string, pattern: RegExp, options?: object) {
    const runId = `refused-${template}-${taskQueue}`;
    await assert.rejects(
      agents.start({ template, input: { task: 'go' }, user: 'sub', model: 'scripted:auto', runId, options }),
      (err: unknown) => {
        assert.ok(err instanceof AgentError, String(err));
        assert.equal(err.type, type);
        assert.match(err.message, pattern);
        return true;
      },
    );
    await assert.rejects(env.client.workflow.getHandle(runId).describe(), WorkflowNotFoundError);
  }

  test('a cycle, an unknown sub-agent and a tree deeper than the limit are typed errors; nothing starts', async () => {
    await refused('loop_a', 'AgentCycle', /loop_a -> loop_b -> loop_a/);
    await refused('lonely', 'UnknownTemplate', /Unknown template "nobody"/);
    await refused('d1', 'AgentDepthExceeded', /4 levels deep, more than 3: d1 -> d2 -> d3 -> d4 -> d5/);
    await refused('d2', 'AgentDepthExceeded', /more than 2/, { maxAgentDepth: 2 });
    // The same tree within a raised limit starts (and answers without calling anyone).
    const deep = await agents.start({
      template: 'd1',
      input: { task: 'hello' },
      user: 'sub',
      model: 'scripted:auto',
      options: { maxAgentDepth: 4 },
    });
    assert.equal((await deep.result()).status, 'completed');
  });

  test('a hand-made input beyond the limits is refused at the call, as an error tool result', async () => {
    const resolution = resolveRun(
      { template: 'd2', input: { task: 'call d3 {"task":"go"}' }, model: 'scripted:auto', user: 'sub' },
      await agents.catalog(),
    );
    assert.ok(resolution.ok);
    const start = async (id: string, lineage: string[]) => {
      const input = { ...resolution.run.input, parent: { workflowId: 'made-up', lineage } };
      await env.client.workflow.start(runWorkflowType, { taskQueue, workflowId: id, args: [input] });
      return agents.getHandle(id);
    };
    const deep = await start(`deep-${taskQueue}`, ['x', 'y', 'z']);
    assert.match((await deep.result()).answer, /^Tool results: AgentDepthExceeded: .*x -> y -> z -> d2 -> d3/);
    const cycle = await start(`cycle-${taskQueue}`, ['d3']);
    assert.match((await cycle.result()).answer, /^Tool results: AgentCycle: .*d3 -> d2 -> d3/);
    assert.deepEqual((await cycle.state()).children, []);
  });
});

describe('control of a parent reaches its children', () => {
  /** A coordinator whose two researchers each wait for approval of their calculator call. */
  async function waitingTeam(name: string) {
    const parent = await agents.start({
      template: 'coordinator',
      input: { task: 'call researcher {"task":"What is 1 + 1?"}\ncall researcher {"task":"What is 2 + 2?"}' },
      user: 'sub-control',
      model: 'scripted:auto?parallel=1',
      runId: `${name}-${taskQueue}`,
      options: { approval: { tools: ['calculator'] } },
    });
    const children = [`${parent.runId}.call_1_1`, `${parent.runId}.call_1_2`].map((id) => agents.getHandle(id));
    await eventually(
      async () =>
        (await Promise.all(children.map((c) => c.state()))).every((s) => s.status === 'awaiting_approval') && true,
      'both children awaiting approval',
    );
    return { parent, children };
  }

  test('pause and resume are passed on; stop stops the children and the parent counts their usage', async () => {
    const { parent, children } = await waitingTeam('stop');
    await parent.pause();
    await eventually(
      async () => (await Promise.all(children.map((c) => c.state()))).every((s) => s.pauseRequested) && true,
      'children asked to pause',
    );
    await parent.resume();
    await eventually(
      async () => (await Promise.all(children.map((c) => c.state()))).every((s) => !s.pauseRequested) && true,
      'children resumed',
    );
    await parent.stop();
    const result = await parent.result();
    assert.equal(result.status, 'stopped');
    const childResults = await Promise.all(children.map((c) => c.result()));
    assert.deepEqual(
      childResults.map((r) => r.status),
      ['stopped', 'stopped'],
    );
    const state = await parent.state();
    assert.deepEqual(
      state.children?.map((c) => c.status),
      ['stopped', 'stopped'],
    );
    assert.deepEqual(result.usage, sum(result.ownUsage!, ...childResults.map((r) => r.usage)));
  });

  test('a stop during a step with a tool and a child: the parent ends after its child, with its usage', async () => {
    const parent = await agents.start({
      template: 'mixed',
      input: { task: 'call slow_tool {}\ncall researcher {"task":"What is 3 + 3?"}' },
      user: 'sub-control',
      model: 'scripted:auto?parallel=1',
      options: { approval: { tools: ['calculator'] } },
    });
    const child = agents.getHandle(`${parent.runId}.call_1_2`);
    await eventually(async () => (await child.state()).status === 'awaiting_approval', 'child awaiting approval');
    await parent.stop();
    const result = await parent.result();
    assert.equal(result.status, 'stopped');
    const childResult = await child.result();
    assert.equal(childResult.status, 'stopped');
    const state = await parent.state();
    assert.deepEqual(
      state.children?.map((c) => [c.status, c.usage]),
      [['stopped', childResult.usage]],
    );
    assert.deepEqual(result.usage, sum(result.ownUsage!, childResult.usage));
  });

  test('terminate of the parent cancels its children (parent-close policy)', async () => {
    const { parent, children } = await waitingTeam('terminate');
    await parent.workflow.terminate('test');
    for (const child of children)
      await eventually(
        async () => (await child.workflow.describe()).status.name === 'CANCELLED',
        `${child.runId} cancelled`,
      );
  });

  test('cancel of the parent cancels its children', async () => {
    const { parent, children } = await waitingTeam('cancel');
    await parent.cancel();
    await assert.rejects(parent.result(), (err: unknown) => err instanceof AgentError && err.type === 'Cancelled');
    for (const child of children)
      await eventually(
        async () => (await child.workflow.describe()).status.name === 'CANCELLED',
        `${child.runId} cancelled`,
      );
  });
});
