/** Creates an agent worker on a connection: our activities, the workflow bundle, our limits. */
import type { DataConverter } from '@temporalio/common';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities, type ActivitiesDeps } from '../activities';
import { EventBus } from './events/event-bus';
import { ActivityEventsInterceptor } from './interceptors/activity-events';
import { agentSinks } from './sinks';
import { loadWorkflowBundle } from './workflow-bundle';
import { defaultMaxCachedWorkflows } from './workflow-cache';

export interface AgentWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  activities: ActivitiesDeps;
  /** Prebuilt bundle path; defaults to dist/workflow-bundle.js. */
  workflowBundlePath?: string;
  maxConcurrentActivityTaskExecutions?: number;
  maxConcurrentWorkflowTaskExecutions?: number;
  /** Time in-flight activities get to finish on shutdown. Default 10 s. */
  shutdownGraceTimeMs?: number;
  identity?: string;
  /** Workflows kept in memory; 0 replays history on every task (tests use it). Default: {@link defaultMaxCachedWorkflows}, sized from available memory. */
  maxCachedWorkflows?: number;
  /** Where run, model-call and tool-call events go; a private bus when omitted. */
  bus?: EventBus;
  /** Payload codecs (encryption, claim check): `createDataConverter()` from codec/. Also used by activities' `Context.client`. Default: the SDK's. */
  dataConverter?: DataConverter;
}

export async function createAgentWorker(options: AgentWorkerOptions): Promise<Worker> {
  const bus = options.bus ?? new EventBus();
  return Worker.create({
    sinks: agentSinks(bus),
    interceptors: { activity: [(ctx) => ({ inbound: new ActivityEventsInterceptor(ctx, bus) })] },
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    workflowBundle: await loadWorkflowBundle(options.workflowBundlePath),
    activities: createActivities({
      ...options.activities,
      onLayerTiming: (middleware, hook, durationSeconds) => bus.publish({ type: 'middleware.layer', at: new Date().toISOString(), data: { middleware, hook, durationSeconds } }),
    }),
    maxConcurrentActivityTaskExecutions: options.maxConcurrentActivityTaskExecutions,
    maxCachedWorkflows: options.maxCachedWorkflows ?? defaultMaxCachedWorkflows(),
    maxConcurrentWorkflowTaskExecutions: options.maxConcurrentWorkflowTaskExecutions,
    // Cancellation reaches an activity only with a heartbeat response: send them at least every second.
    maxHeartbeatThrottleInterval: '1s',
    shutdownGraceTime: options.shutdownGraceTimeMs ?? 10_000,
    ...(options.identity ? { identity: options.identity } : {}),
    ...(options.dataConverter ? { dataConverter: options.dataConverter } : {}),
  });
}
