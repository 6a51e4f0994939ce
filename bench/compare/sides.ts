/**
 * The two contenders of bench:compare behind one interface: the bare baseline (bench/bare/) and ours
 * (`react` with `calculator` through `AgentClient`, worker/main.ts as shipped). Each starts its worker in a
 * process of its own and drives runs of the job: the model asks for `rounds` tool calls, then answers.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { bundleWorkflowCode } from '@temporalio/worker';
import { AgentClient } from '../../client';
import { freshWorkflowBundle } from '../../testing/bundle';
import { portForAnotherProcess } from '../../testing/dev-server';
import { projectRoot } from '../../testing/paths';
import { startWorkerProcess, type WorkerProcess } from '../../testing/worker-process';

export type SideName = 'bare' | 'ours';

export interface SideContext {
  client: Client;
  temporalAddress: string;
  /** The stub's base URL (ends in /v1). */
  stubUrl: string;
}

export interface Side {
  name: SideName;
  /** Starts a worker process for `taskQueue`; `extraEnv` adds to its environment (profiling: NODE_OPTIONS). */
  startWorker(taskQueue: string, extraEnv?: Record<string, string>): Promise<WorkerProcess>;
  /** Starts one run of the job and waits for it; throws if it did not end with the job's answer. */
  run(taskQueue: string, id: string, user: string, rounds: number): Promise<void>;
  /** Starts a run that parks before its first model call (bare: waits for a signal; ours: paused). */
  startParked(taskQueue: string, id: string, user: string, rounds: number): Promise<void>;
  /** Resumes a parked run and waits for it to finish with the job's answer. */
  resumeAndWait(id: string, rounds: number): Promise<void>;
  /** The workflow bundle its workers load (profiles map bundle lines to modules). */
  workflowBundle(): Promise<string>;
}

const stubModel = (rounds: number) => `stub-model?rounds=${rounds}`;
const task = 'Count with the calculator, then answer.';

function checkAnswer(answer: string, rounds: number, id: string): void {
  if (!answer.includes(`Done after ${rounds} tool calls`))
    throw new Error(`${id} ended with an unexpected answer: ${answer.slice(0, 200)}`);
}

let bareBundle: Promise<string> | undefined;

/** The bare workflows bundled once per bench, as a production worker loads a prebuilt bundle. */
function bareWorkflowBundle(): Promise<string> {
  bareBundle ??= (async () => {
    const { code } = await bundleWorkflowCode({
      workflowsPath: join(projectRoot, 'bench', 'bare', 'workflows.ts'),
      logger: quiet,
    });
    const path = join(mkdtempSync(join(tmpdir(), 'bare-bundle-')), 'workflow-bundle.js');
    writeFileSync(path, code);
    return path;
  })();
  return bareBundle;
}

const noop = () => undefined;
const quiet = { trace: noop, debug: noop, info: noop, warn: noop, error: (m: string) => console.error(m), log: noop };

export function bareSide(ctx: SideContext): Side {
  const handle = (id: string) => ctx.client.workflow.getHandle(id);
  return {
    name: 'bare',
    workflowBundle: bareWorkflowBundle,
    async startWorker(taskQueue, extraEnv = {}) {
      const env = {
        TEMPORAL_ADDRESS: ctx.temporalAddress,
        TASK_QUEUE: taskQueue,
        BARE_WORKFLOW_BUNDLE: await bareWorkflowBundle(),
        OPENAI_BASE_URL: ctx.stubUrl,
        ...extraEnv,
      };
      return startWorkerProcess(env, 180_000, join(projectRoot, 'bench', 'bare', 'worker.ts'));
    },
    async run(taskQueue, id, _user, rounds) {
      const answer = await ctx.client.workflow.execute('bareAgent', {
        taskQueue,
        workflowId: id,
        args: [task, stubModel(rounds)],
      });
      checkAnswer(answer as string, rounds, id);
    },
    async startParked(taskQueue, id, _user, rounds) {
      await ctx.client.workflow.start('bareParkedAgent', {
        taskQueue,
        workflowId: id,
        args: [task, stubModel(rounds)],
      });
    },
    async resumeAndWait(id, rounds) {
      await handle(id).signal('resume');
      checkAnswer((await handle(id).result()) as string, rounds, id);
    },
  };
}

export function oursSide(ctx: SideContext): Side {
  const clients = new Map<string, AgentClient>();
  const agents = (taskQueue: string) =>
    clients.get(taskQueue) ?? clients.set(taskQueue, new AgentClient(ctx.client, { taskQueue })).get(taskQueue)!;
  const start = (taskQueue: string, id: string, user: string, rounds: number) =>
    agents(taskQueue).start({
      runId: id,
      template: 'react',
      input: { task, tools: ['calculator'] },
      model: `openai:${stubModel(rounds)}`,
      user,
    });
  const parkedQueues = new Map<string, string>();
  return {
    name: 'ours',
    workflowBundle: freshWorkflowBundle,
    async startWorker(taskQueue, extraEnv = {}) {
      const env = {
        TEMPORAL_ADDRESS: ctx.temporalAddress,
        AGENT_TASK_QUEUE: taskQueue,
        // Observability on, as shipped: /metrics served (on a free loopback port), events on the in-process bus.
        METRICS_PORT: String(await portForAnotherProcess()),
        METRICS_HOST: '127.0.0.1',
        WORKFLOW_BUNDLE: await freshWorkflowBundle(),
        OPENAI_BASE_URL: ctx.stubUrl,
        ...extraEnv,
      };
      return startWorkerProcess(env, 180_000);
    },
    async run(taskQueue, id, user, rounds) {
      const result = await (await start(taskQueue, id, user, rounds)).result();
      if (result.status !== 'completed') throw new Error(`${id} ended ${result.status}`);
      checkAnswer(result.answer, rounds, id);
    },
    async startParked(taskQueue, id, user, rounds) {
      // No start-paused option in AgentClient: pause right after start. The worker is not polling yet, so the
      // first workflow task sees both and the run parks before its first model call.
      const run = await start(taskQueue, id, user, rounds);
      await run.pause();
      parkedQueues.set(id, taskQueue);
    },
    async resumeAndWait(id, rounds) {
      const run = agents(parkedQueues.get(id)!).getHandle(id);
      await run.resume();
      const result = await run.result();
      if (result.status !== 'completed') throw new Error(`${id} ended ${result.status}`);
      checkAnswer(result.answer, rounds, id);
    },
  };
}
