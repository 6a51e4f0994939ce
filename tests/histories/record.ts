/**
 * Records workflow histories for the replay test: `npx tsx tests/histories/record.ts [version] [runs|sessions|limits|spec|approvals|fork|local-tools|carried-commits|handoffs|agents|role-approval|internal-signals|all]`.
 *
 * Run it when a workflow change is meant to be compatible, commit the JSON beside this file, and
 * keep old files: they are the runs "in flight" that every later version must still replay.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { temporalCli } from '../../testing/paths';
import { agentClient, eventually, inProcessWorker, startDevEnvironment, uniqueTaskQueue, untilCatalogPublished } from '../../testing/environment';
import { SessionManager, type AgentClient, type AgentRunHandle, type SessionHandle } from '../../client';
import { policySchema, type Policy } from '../../activities/middleware/policy';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { changedCatalog, changedTemplateRun } from './spec-changed';
import { resolveRun } from '../../agents/resolve-run';
import type { AgentTemplateDefinition } from '../../worker/agents';
import { createAgentWorker } from '../../worker/create-worker';
import { startLlmStub } from '../../llm-stub';

const version = process.argv[2] ?? 'v1';
const scenarios = process.argv[3] ?? 'all';
const personSchema = { type: 'object', properties: { name: { type: 'string' }, age: { type: 'integer' } }, required: ['name', 'age'] };

async function main() {
  const env = await startDevEnvironment();
  const taskQueue = uniqueTaskQueue('record');
  const client = agentClient(env, taskQueue);
  const save = async (name: string, handle: AgentRunHandle | SessionHandle) => {
    await handle.result().catch(() => undefined);
    const workflowId = 'runId' in handle ? handle.runId : handle.sessionId;
    // The CLI writes the proto JSON format that historyFromJSON reads (as the Temporal UI's download does).
    const json = execFileSync(temporalCli, ['workflow', 'show', '--address', env.address, '--workflow-id', workflowId, '--output', 'json'], { encoding: 'utf8' });
    writeFileSync(join(__dirname, `${version}-${name}.json`), json);
    console.log(`recorded ${version}-${name}.json (${JSON.parse(json).events.length} events)`);
  };
  if (scenarios === 'limits' || scenarios === 'all') await recordLimits(env, save);
  if (scenarios === 'limits') return env.teardown();
  if (scenarios === 'handoffs' || scenarios === 'all') await recordHandoffs(env, save);
  if (scenarios === 'handoffs') return env.teardown();
  if (scenarios === 'agents' || scenarios === 'all') await recordSubAgents(env, save);
  if (scenarios === 'agents') return env.teardown();
  if (scenarios === 'role-approval' || scenarios === 'all') await recordRoleApproval(env, save);
  if (scenarios === 'role-approval') return env.teardown();
  if (scenarios === 'internal-signals' || scenarios === 'all') await recordInternalSignals(env);
  if (scenarios === 'internal-signals') return env.teardown();
  const worker = await inProcessWorker(env, taskQueue);
  if (scenarios === 'spec' || scenarios === 'all') await worker.runUntil(() => recordSpecRuns(env, client, save));
  if (scenarios === 'spec') return env.teardown();
  if (scenarios === 'approvals' || scenarios === 'all') await worker.runUntil(() => recordApprovals(client, save));
  if (scenarios === 'approvals') return env.teardown();
  if (scenarios === 'fork' || scenarios === 'all') await worker.runUntil(() => recordFork(client, save));
  if (scenarios === 'fork') return env.teardown();
  if (scenarios === 'local-tools' || scenarios === 'all') await worker.runUntil(() => recordLocalTools(client, save));
  if (scenarios === 'local-tools') return env.teardown();
  if (scenarios === 'carried-commits' || scenarios === 'all') await worker.runUntil(() => recordCarriedCommits(client, save));
  if (scenarios === 'carried-commits') return env.teardown();
  await worker.runUntil(async () => {
    if (scenarios !== 'runs') await recordSessions(new SessionManager(env.client, { taskQueue }), save);
    if (scenarios === 'sessions') return;
    await save('chat', await client.start({ template: 'chat', input: { message: 'hi' }, user: 'rec', model: 'scripted:auto' }));
    await save('react', await client.start({ template: 'react', input: { task: 'What is 6 * 7?' }, user: 'rec', model: 'scripted:auto' }));
    await save('structured-repair', await client.start({ template: 'structured', input: { prompt: 'p', schema: personSchema }, user: 'rec', model: 'scripted:auto?invalidFirst=1' }));
    await save('output-invalid', await client.start({ template: 'structured', input: { prompt: 'p', schema: { type: 'integer', maximum: 1 } }, user: 'rec', model: 'scripted:auto' }));

    const paused = await client.start({ template: 'react', input: { task: 'count', maxSteps: 10 }, user: 'rec', model: 'scripted:auto?rounds=4&delayMs=200' });
    await paused.pause();
    await eventually(async () => (await paused.state()).status === 'paused', 'paused');
    await paused.resume();
    await save('pause-resume', paused);

    const stopped = await client.start({ template: 'react', input: { task: 'count', maxSteps: 10 }, user: 'rec', model: 'scripted:auto?rounds=8&delayMs=300' });
    await eventually(async () => (await stopped.state()).step >= 1, 'one step');
    await stopped.stop();
    await save('stopped', stopped);

    const cancelled = await client.start({ template: 'react', input: { task: 'count', maxSteps: 10 }, user: 'rec', model: 'scripted:auto?rounds=8&delayMs=300' });
    await eventually(async () => (await cancelled.state()).step >= 1, 'one step');
    await cancelled.cancel();
    await save('cancelled', cancelled);

    // The last run of a continue-as-new chain starts from carried state.
    await save('continued', await client.start({ template: 'react', input: { task: 'count', maxSteps: 40 }, user: 'rec', model: 'scripted:auto?rounds=30', options: { historyEventLimit: 150 } }));
  });
  await env.teardown();
}

/** Runs refused by the rate limit (they wait) and by the quota (they pause, then resume once it is raised). */
async function recordLimits(env: TestWorkflowEnvironment, save: (name: string, handle: AgentRunHandle) => Promise<void>) {
  const limits = (quotaTokens: number): Policy =>
    policySchema.parse({
      roles: {
        limited: { rateLimit: { requests: 1, windowSeconds: 2, onLimit: 'wait' } },
        budget: { quota: { tokens: quotaTokens, period: 'day', onExceeded: 'pause', expectedOutputTokens: 8 } },
      },
      users: { 'rec-rate': ['limited'], 'rec-quota': ['budget'] },
    });
  let policy = limits(120);
  const taskQueue = uniqueTaskQueue('record-limits');
  const worker = await inProcessWorker(env, taskQueue, {}, { policy: { current: () => policy, description: 'recording policy' } });
  const client: AgentClient = agentClient(env, taskQueue);
  await worker.runUntil(async () => {
    // Two model calls, one allowed per 2 s: the second waits on a timer.
    await save('rate-limit-wait', await client.start({ template: 'react', input: { task: 'What is 6 * 7?' }, user: 'rec-rate', model: 'scripted:auto' }));

    const paused = await client.start({ template: 'react', input: { task: 'count', maxSteps: 10 }, user: 'rec-quota', model: 'scripted:auto?rounds=3' });
    const state = await eventually(async () => {
      const s = await paused.state();
      return s.status === 'paused' && s;
    }, 'paused by the quota');
    console.log(`quota pause at step ${state.step}: ${state.error?.message}`);
    policy = limits(100_000);
    await paused.resume();
    await save('quota-pause', paused);
  });
}

/**
 * Runs started with a resolved spec (v3 inputs): the model-call activity binds the recorded tool definitions
 * and returns the structured-output verdict. `spec-changed` was resolved from a catalog the worker does not have
 * (a template it never knew, a tool described differently): the recorded spec alone drives the run and its replay.
 */
async function recordSpecRuns(env: TestWorkflowEnvironment, client: AgentClient, save: (name: string, handle: AgentRunHandle) => Promise<void>) {
  await save('react-spec', await client.start({ template: 'react', input: { task: 'What is 6 * 7?' }, user: 'rec' }));
  await save('structured-spec', await client.start({ template: 'structured', input: { prompt: 'p', schema: personSchema }, user: 'rec', model: 'scripted:auto?invalidFirst=1' }));
  const resolution = resolveRun(changedTemplateRun, changedCatalog);
  if (!resolution.ok) throw new Error(resolution.message);
  await env.client.workflow.start('agentRunWorkflow', { taskQueue: client.taskQueue, workflowId: 'rec-spec-changed', args: [resolution.run.input] });
  const changed = client.getHandle('rec-spec-changed');
  await changed.pause();
  await changed.resume();
  await save('spec-changed', changed);
}

/** A run with `options.approval`: two gated calls in one step, one approved, one rejected with a reason, then one timed out. */
async function recordApprovals(client: AgentClient, save: (name: string, handle: AgentRunHandle) => Promise<void>) {
  const task = 'call calculator {"expression":"6*7"}\ncall word_count {"text":"a b"}';
  const run = await client.start({ template: 'react', input: { task }, user: 'rec', model: 'scripted:auto?parallel=1', options: { approval: { tools: ['calculator', 'word_*'], timeoutSeconds: 3600 } } });
  await eventually(async () => (await run.state()).pendingApprovals?.length === 2, 'two calls pending');
  await run.pause();
  await run.approve('call_1_1');
  await run.reject('call_1_2', 'not needed');
  await eventually(async () => (await run.state()).status === 'paused', 'paused after the step');
  await run.resume();
  await save('approval', run);
}

/** A fork: a run started from carried state its client built after step 1 of another run, then paused and resumed. */
async function recordFork(client: AgentClient, save: (name: string, handle: AgentRunHandle) => Promise<void>) {
  const task = 'call calculator {"expression":"6*7"}\ncall word_count {"text":"a b"}';
  const source = await client.start({ template: 'react', input: { task }, user: 'rec', model: 'scripted:auto' });
  await source.result();
  const fork = await client.fork(source.runId, 1, { model: 'scripted:auto?delayMs=300' });
  await fork.pause();
  await eventually(async () => (await fork.state()).status === 'paused', 'fork paused');
  await fork.resume();
  await save('fork', fork);
}

/**
 * Built-in tools as local activities (patch `local-tool-calls`), paused while a model call runs and resumed: the
 * later model calls carry the conversation's tail.
 */
async function recordLocalTools(client: AgentClient, save: (name: string, handle: AgentRunHandle) => Promise<void>) {
  await untilCatalogPublished(client);
  const task = 'call calculator {"expression":"6*7"}\ncall word_count {"text":"a b c"}\ncall calculator {"expression":"1+1"}';
  const run = await client.start({ template: 'react', input: { task }, user: 'rec', model: 'scripted:auto?delayMs=300' });
  await eventually(async () => (await run.state()).step >= 1, 'one step');
  await run.pause();
  await eventually(async () => (await run.state()).status === 'paused', 'paused');
  await run.resume();
  await save('local-tools', run);
}

/**
 * Model calls that leave their usage commit to the run (no quota), a pause after the first step that sends what the
 * run carries (the `commitUsage` local activity), then the answer's call sending the rest with its own.
 */
async function recordCarriedCommits(client: AgentClient, save: (name: string, handle: AgentRunHandle) => Promise<void>) {
  const task = 'call calculator {"expression":"6*7"}\ncall word_count {"text":"a b c"}\ncall calculator {"expression":"1+1"}';
  const run = await client.start({ template: 'react', input: { task }, user: 'rec-carried', model: 'scripted:auto?delayMs=300' });
  await eventually(async () => (await run.state()).step >= 1, 'one step');
  await run.pause();
  await eventually(async () => (await run.state()).status === 'paused', 'paused');
  await run.resume();
  await save('carried-commits', run);
}

/** A run handed over twice (triage → billing → refunds), answering under the last template's output schema. */
async function recordHandoffs(env: TestWorkflowEnvironment, save: (name: string, handle: AgentRunHandle) => Promise<void>) {
  const templates: AgentTemplateDefinition[] = [
    { name: 'triage', systemPrompt: 'You are the triage desk.', handoffs: ['billing'] },
    { name: 'billing', systemPrompt: 'You are the billing desk.', tools: ['calculator'], handoffs: ['refunds', 'triage'] },
    { name: 'refunds', systemPrompt: 'You are the refunds desk.', outputSchema: { type: 'object', properties: { desk: { const: 'refunds' } }, required: ['desk'] } },
  ];
  const taskQueue = uniqueTaskQueue('record-handoffs');
  const worker = await inProcessWorker(env, taskQueue, {}, { agents: { templates } });
  const client = agentClient(env, taskQueue);
  await worker.runUntil(async () => {
    await eventually(async () => (await client.catalog({ fresh: true })).templates.some((t) => t.name === 'refunds'), 'templates published');
    const task = 'charged twice\ncall transfer_to_billing {"reason":"invoice"}\ncall calculator {"expression":"19 * 3"}\ncall transfer_to_refunds {}';
    await save('handoff-chain', await client.start({ template: 'triage', input: { task }, user: 'rec', model: 'scripted:auto' }));
  });
}

/** A coordinator whose two sub-agents (child workflows) run in one step; the file is the parent's history. */
async function recordSubAgents(env: TestWorkflowEnvironment, save: (name: string, handle: AgentRunHandle) => Promise<void>) {
  const taskQueue = uniqueTaskQueue('record-agents');
  const worker = await createAgentWorker({
    connection: env.nativeConnection,
    namespace: 'default',
    taskQueue,
    activities: { providerEnv: {} },
    agents: {
      templates: [
        { name: 'researcher', description: 'Finds facts.', systemPrompt: 'You research.', tools: ['calculator'] },
        { name: 'writer', description: 'Writes a line.', systemPrompt: 'You write.' },
        { name: 'coordinator', description: 'Delegates.', systemPrompt: 'You delegate.', tools: ['agent:researcher', 'agent:writer'] },
      ],
    },
  });
  const client = agentClient(env, taskQueue);
  await worker.runUntil(async () => {
    await eventually(async () => (await client.catalog({ fresh: true })).templates.some((t) => t.name === 'coordinator'), 'published catalog');
    const task = 'call researcher {"task":"What is 6 * 7?"}\ncall writer {"task":"Write a line."}';
    await save('sub-agents', await client.start({ template: 'coordinator', input: { task }, user: 'rec', model: 'scripted:auto?parallel=1&delayMs=300', runId: 'rec-sub-agents' }));
  });
}

/** A streamed run whose first model call fails once (tokenDeltas and modelCallFailed signals), and its user's ledger (a commit signal). */
async function recordInternalSignals(env: TestWorkflowEnvironment) {
  const stub = await startLlmStub({ port: 0 });
  const taskQueue = uniqueTaskQueue('record-signals');
  const worker = await inProcessWorker(env, taskQueue, { OPENAI_BASE_URL: stub.url });
  const client = agentClient(env, taskQueue);
  const show = (workflowId: string, name: string) => {
    const json = execFileSync(temporalCli, ['workflow', 'show', '--address', env.address, '--workflow-id', workflowId, '--output', 'json'], { encoding: 'utf8' });
    writeFileSync(join(__dirname, `${version}-${name}.json`), json);
    console.log(`recorded ${version}-${name}.json (${JSON.parse(json).events.length} events)`);
  };
  await worker.runUntil(async () => {
    const runId = `rec-stream-${Date.now()}`;
    stub.addFaults([{ kind: 'status', status: 503, match: { run: runId, step: 1 } }]);
    const run = await client.start({ runId, template: 'chat', input: { message: 'Tell me a story' }, model: 'openai:stub-model', user: 'rec-signals', options: { streamTokens: true } });
    await run.result();
    show(runId, 'stream-retry');
    // The ledger runs on: its history so far.
    await eventually(async () => (await client.usage('rec-signals')).day.calls >= 1, 'usage committed');
    show('ledger-rec-signals', 'ledger');
  });
  await stub.close();
}

/** A run gated by its user's role (policy file) and its own options together: the merged rule, one call approved, one rejected. */
async function recordRoleApproval(env: TestWorkflowEnvironment, save: (name: string, handle: AgentRunHandle) => Promise<void>) {
  const taskQueue = uniqueTaskQueue('record-role');
  const policy = policySchema.parse({ roles: { reviewed: { approval: { tools: ['calc*'], timeoutSeconds: 3600 } } }, users: { 'rec-role': ['reviewed'] } });
  const worker = await inProcessWorker(env, taskQueue, {}, { policy });
  const client = agentClient(env, taskQueue);
  await worker.runUntil(async () => {
    const task = 'call calculator {"expression":"6*7"}\ncall word_count {"text":"a b"}';
    const run = await client.start({ template: 'react', input: { task }, user: 'rec-role', model: 'scripted:auto?parallel=1', options: { approval: { tools: ['word_count'] } } });
    await eventually(async () => (await run.state()).pendingApprovals?.length === 2, 'two calls pending');
    await run.approve('call_1_1');
    await run.reject('call_1_2', 'not needed');
    await save('role-approval', run);
  });
}

/** Sessions, each closed so its history is complete; a continued session's file is the last run of its chain. */
async function recordSessions(sessions: SessionManager, save: (name: string, handle: SessionHandle) => Promise<void>) {
  const chat = await sessions.create({ user: 'rec', model: 'scripted:auto' });
  await chat.send('my name is Rec');
  await chat.send('what is my name?');
  await chat.close();
  await save('session-chat', chat);

  const react = await sessions.create({ user: 'rec', template: 'react', memory: { keepTurns: 1, summary: 'model' }, model: 'scripted:auto' });
  await react.send('What is 6 * 7?');
  await react.send('And 2 + 2?');
  await react.close();
  await save('session-react-summary', react);

  const continued = await sessions.create({ user: 'rec', options: { continueAsNewEveryTurns: 2 }, memory: { keepTurns: 2 }, model: 'scripted:auto' });
  for (let turn = 1; turn <= 5; turn++) await continued.send(`turn ${turn}`);
  await continued.close();
  await save('session-continued', continued);

  const interrupted = await sessions.create({ user: 'rec', strategy: 'interrupt', model: 'scripted:auto?delayMs=1000' });
  const first = interrupted.send('a long one');
  await eventually(async () => (await interrupted.state()).runningTurn === 1, 'turn 1 running');
  await interrupted.send('instead this');
  await first;
  await interrupted.close();
  await save('session-interrupt', interrupted);

  const stopped = await sessions.create({ user: 'rec', model: 'scripted:auto?delayMs=1000' });
  await stopped.pause();
  const queued = stopped.send('while paused');
  await eventually(async () => (await stopped.state()).queued === 1, 'message waiting');
  await stopped.resume();
  await queued;
  const running = stopped.send('stopped midway');
  await eventually(async () => (await stopped.state()).runningTurn === 2, 'turn 2 running');
  await stopped.stop();
  await running;
  await save('session-pause-stop', stopped);

  const expired = await sessions.create({ user: 'rec', ttlSeconds: 2, model: 'scripted:auto' });
  await expired.send('hello');
  await save('session-expired', expired);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
