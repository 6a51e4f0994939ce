/**
 * A worker SIGKILLed while a coordinator's children run (real `@langchain/openai` path against the LLM stub,
 * templates from a catalog file): a new worker finishes the tree, no finished model call of any run is made
 * again, and the parent's usage is exactly its own plus its children's.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { addUsage, emptyUsage } from '../agents/conversation';
import { AgentClient } from '../client';
import { startLlmStub, type LlmStub } from '../llm-stub';
import { eventually, startDevEnvironment, uniqueTaskQueue } from '../testing/environment';
import { sigkillWorker } from '../testing/processes';
import { startWorkerProcess, type WorkerProcess } from '../testing/worker-process';
import { checkRepeats, recordedModelCalls } from './helpers/repeated-calls';

let env: TestWorkflowEnvironment;
let stub: LlmStub;
const workers: WorkerProcess[] = [];
const catalogFile = join(mkdtempSync(join(tmpdir(), 'sub-agents-crash-')), 'catalog.json');

before(async () => {
  [env, stub] = await Promise.all([startDevEnvironment(), startLlmStub({ port: 0 })]);
  writeFileSync(
    catalogFile,
    JSON.stringify({
      templates: [
        { name: 'researcher', description: 'Finds facts.', systemPrompt: 'You research.', tools: ['calculator'] },
        { name: 'writer', description: 'Writes a line.', systemPrompt: 'You write.' },
        {
          name: 'coordinator',
          description: 'Delegates.',
          systemPrompt: 'You delegate.',
          tools: ['agent:researcher', 'agent:writer'],
        },
      ],
    }),
  );
});

after(async () => {
  await Promise.all(workers.map(sigkillWorker));
  await stub?.close();
  await env?.teardown();
});

async function worker(taskQueue: string): Promise<WorkerProcess> {
  const w = await startWorkerProcess({
    TEMPORAL_ADDRESS: env.address,
    AGENT_TASK_QUEUE: taskQueue,
    OPENAI_BASE_URL: stub.url,
    OPENAI_API_KEY: 'sk-test',
    AGENT_CATALOG_FILE: catalogFile,
  });
  workers.push(w);
  return w;
}

test('SIGKILL while children run: a new worker finishes the tree, nothing finished is repeated, usage is exact', async () => {
  const taskQueue = uniqueTaskQueue('sub-crash');
  const agents = new AgentClient(env.client, { taskQueue });
  const first = await worker(taskQueue);
  await eventually(
    async () => (await agents.catalog({ fresh: true })).templates.some((t) => t.name === 'coordinator'),
    'published catalog',
  );
  // Every model call takes 700 ms at the stub, so the kill lands while a child's call is in flight.
  stub.addFaults([{ kind: 'delay', ms: 700, times: 1000 }]);
  const parent = await agents.start({
    template: 'coordinator',
    input: { task: 'call researcher {"task":"What is 6 * 7?"}\ncall writer {"task":"Write a line."}' },
    model: 'openai:stub-model?parallel=1',
    user: 'sub-crash',
    runId: `team-${taskQueue}`,
  });
  const children = [`${parent.runId}.call_1_1`, `${parent.runId}.call_1_2`].map((id) => agents.getHandle(id));
  await eventually(
    async () => stub.requests().some((r) => r.key.run?.startsWith(`${parent.runId}.`) && r.outcome === 'pending'),
    "a child's model call in flight",
  );
  await sigkillWorker(first);
  const inFlight = stub
    .requests()
    .filter((r) => r.key.run?.startsWith(parent.runId) && (r.outcome === 'pending' || r.outcome === 'client-closed'))
    .map((r) => `${r.key.run}#${r.key.step}`);
  await worker(taskQueue);

  const result = await parent.result();
  const [researcher, writer] = await Promise.all(children.map((c) => c.result()));
  assert.equal(result.status, 'completed');
  assert.equal(researcher.answer, 'The answer is 42.');
  assert.equal(result.answer, `Tool results: ${researcher.answer} | ${writer.answer}`);
  assert.equal(result.usage.modelCalls, 2 + 2 + 1);
  assert.deepEqual(result.usage, [result.ownUsage!, researcher.usage, writer.usage].reduce(addUsage, emptyUsage()));

  const recorded = await recordedModelCalls([parent.workflow, ...children.map((c) => c.workflow)]);
  const report = checkRepeats(stub.requests(), recorded);
  console.log(
    `in flight at the kill: ${inFlight.join(', ')}; answered per run#step: ${JSON.stringify(Object.fromEntries(report.answered))}; repeated by abandoned attempts: ${report.repeated.join(', ') || 'none'}`,
  );
  assert.equal(recorded.size, 5);
  assert.deepEqual(report.unexplained, [], 'finished model calls made again');
  assert.deepEqual(report.missing, []);
});
