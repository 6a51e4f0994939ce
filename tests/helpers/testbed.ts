/**
 * One fixture for test files that run agents on a real Temporal dev server: the server, a task queue of the file's
 * own, an in-process agent worker on it, clients, and (optionally) the OpenAI-compatible stub; torn down after.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import type { ProviderEnv } from '../../activities/models/provider-config';
import { AgentClient, SessionManager } from '../../client';
import { startLlmStub, type LlmStub } from '../../llm-stub';
import {
  inProcessWorker,
  startDevEnvironment,
  uniqueTaskQueue,
  type InProcessWorkerOptions,
} from '../../testing/environment';

export interface AgentTestbedOptions {
  /** Task queue prefix, e.g. the file's subject. */
  name: string;
  /** Start the LLM stub and give the worker its URL as `OPENAI_BASE_URL`. Default false. */
  llmStub?: boolean;
  /** Extra provider settings for the worker (e.g. `OPENAI_API_KEY`). */
  providerEnv?: ProviderEnv;
  /** Policy and other middleware settings of the worker. */
  worker?: InProcessWorkerOptions;
  /** Starts the dev server; default `startDevEnvironment`. */
  startEnvironment?: () => Promise<TestWorkflowEnvironment>;
}

export interface AgentTestbed {
  env: TestWorkflowEnvironment;
  taskQueue: string;
  worker: Worker;
  client: AgentClient;
  sessions: SessionManager;
  /** Set when `llmStub` was asked for. */
  stub: LlmStub;
}

export interface AgentTestbedHandle {
  /** Starts everything; call it in the file's `before`. */
  start(): Promise<AgentTestbed>;
  /** Stops the worker, the stub and the server; call it in the file's `after`. */
  stop(): Promise<void>;
}

/**
 * The testbed of one test file. One `before` and one `after` per file: Node 20 runs root-level `before` hooks
 * concurrently, so the file assigns what it uses in the same hook that awaits `start()`.
 * @example
 * const testbed = agentTestbed({ name: 'templates', llmStub: true });
 * let client: AgentClient;
 * before(async () => {
 *   ({ client } = await testbed.start());
 * });
 * after(() => testbed.stop());
 */
export function agentTestbed(options: AgentTestbedOptions): AgentTestbedHandle {
  const bed = {} as AgentTestbed;
  let running: Promise<void> | undefined;
  return {
    async start() {
      const [env, stub] = await Promise.all([
        (options.startEnvironment ?? startDevEnvironment)(),
        options.llmStub ? startLlmStub({ port: 0 }) : undefined,
      ]);
      bed.env = env;
      if (stub) bed.stub = stub;
      bed.taskQueue = uniqueTaskQueue(options.name);
      const providerEnv = { ...(stub ? { OPENAI_BASE_URL: stub.url } : {}), ...options.providerEnv };
      bed.worker = await inProcessWorker(env, bed.taskQueue, providerEnv, options.worker);
      running = bed.worker.run();
      bed.client = new AgentClient(env.client, { taskQueue: bed.taskQueue });
      bed.sessions = new SessionManager(env.client, { taskQueue: bed.taskQueue });
      return bed;
    },
    async stop() {
      if (running) {
        bed.worker.shutdown();
        await running;
      }
      await bed.stub?.close();
      await bed.env?.teardown();
    },
  };
}
