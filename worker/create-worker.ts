/** Creates an agent worker on a connection: our activities, the workflow bundle, our limits. */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { Client } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities, type ActivitiesDeps } from '../activities';
import { CatalogPublisherPlugin } from './agents/catalog-publisher';
import { WorkerAgents, type AgentsOptions } from './agents/worker-agents';
import { EventBus } from './events/event-bus';
import { ActivityEventsInterceptor } from './interceptors/activity-events';
import { agentSinks } from './sinks';
import { loadWorkflowBundle } from './workflow-bundle';
import { defaultMaxCachedWorkflows } from './workflow-cache';

export interface AgentWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  activities: Omit<ActivitiesDeps, 'tools'>;
  /**
   * Your own tools, templates and MCP servers, and the catalog file; built-ins are included unless
   * `builtins: false`. The worker publishes what it offers to Temporal (`agent-catalog/<taskQueue>`), where
   * `AgentClient` and `agentctl templates|tools` read it. MCP connections close when the worker stops.
   */
  agents?: AgentsOptions;
  /** How often the published catalog is refreshed, in milliseconds. Default 120,000. */
  catalogRefreshIntervalMs?: number;
  /** Prebuilt bundle path; defaults to dist/workflow-bundle.js. */
  workflowBundlePath?: string;
  maxConcurrentActivityTaskExecutions?: number;
  maxConcurrentWorkflowTaskExecutions?: number;
  /** Time in-flight activities get to finish on shutdown. Default 10 s. */
  shutdownGraceTimeMs?: number;
  identity?: string;
  /**
   * Workflows kept in memory; 0 replays history on every task (tests use it) and runs every tool call as an activity
   * task. Default: {@link defaultMaxCachedWorkflows}, sized from available memory.
   */
  maxCachedWorkflows?: number;
  /** Where run, model-call and tool-call events go; a private bus when omitted. */
  bus?: EventBus;
  /** Payload codecs (encryption, claim check): `createDataConverter()` from codec/. Also used by activities' `Context.client`. Default: the SDK's. */
  dataConverter?: DataConverter;
}

export async function createAgentWorker(options: AgentWorkerOptions): Promise<Worker> {
  const bus = options.bus ?? new EventBus();
  const log = options.agents?.log ?? quietLog;
  const maxCachedWorkflows = options.maxCachedWorkflows ?? defaultMaxCachedWorkflows();
  // Temporal drops or retries the local activities of a workflow it does not keep in its cache (the SDK warns and
  // can lose the run's task): with no cache, every tool call is an activity task (usage commits always are).
  const localTools = maxCachedWorkflows === 0 ? false : options.agents?.localTools;
  if (maxCachedWorkflows === 0 && options.agents?.localTools !== false)
    log('warn', 'maxCachedWorkflows is 0: tools run as activity tasks, not local activities');
  const agents = await WorkerAgents.create({ ...options.agents, localTools, log });
  const publisher = new CatalogPublisherPlugin(agents, {
    client: new Client({
      connection: options.connection,
      namespace: options.namespace,
      ...(options.dataConverter ? { dataConverter: options.dataConverter } : {}),
    }),
    taskQueue: options.taskQueue,
    worker: `${options.identity ?? `${process.pid}@${hostname()}`}/${randomUUID().slice(0, 8)}`,
    refreshIntervalMs: options.catalogRefreshIntervalMs,
    log,
  });
  try {
    return await createWorker({ ...options, maxCachedWorkflows }, bus, agents, publisher);
  } catch (err) {
    await agents.close();
    throw err;
  }
}

async function createWorker(
  options: AgentWorkerOptions,
  bus: EventBus,
  agents: WorkerAgents,
  publisher: CatalogPublisherPlugin,
): Promise<Worker> {
  return Worker.create({
    plugins: [publisher],
    sinks: agentSinks(bus),
    interceptors: { activity: [(ctx) => ({ inbound: new ActivityEventsInterceptor(ctx, bus) })] },
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    workflowBundle: await loadWorkflowBundle(options.workflowBundlePath),
    activities: createActivities({
      ...options.activities,
      tools: agents.tools,
      onLayerTiming: (middleware, hook, durationSeconds) =>
        bus.publish({
          type: 'middleware.layer',
          at: new Date().toISOString(),
          data: { middleware, hook, durationSeconds },
        }),
    }),
    maxConcurrentActivityTaskExecutions: options.maxConcurrentActivityTaskExecutions,
    maxCachedWorkflows: options.maxCachedWorkflows,
    maxConcurrentWorkflowTaskExecutions: options.maxConcurrentWorkflowTaskExecutions,
    // Cancellation reaches an activity only with a heartbeat response: send them at least every second.
    maxHeartbeatThrottleInterval: '1s',
    shutdownGraceTime: options.shutdownGraceTimeMs ?? 10_000,
    ...(options.identity ? { identity: options.identity } : {}),
    ...(options.dataConverter ? { dataConverter: options.dataConverter } : {}),
  });
}

/** Warnings and errors only; `worker/main.ts` passes a log that prints reloads and publications too. */
const quietLog: NonNullable<AgentsOptions['log']> = (level, message) => {
  if (level !== 'info') console.error(message);
};
