/** The worker library (`temporal-agents/worker`): build an agent worker of your own; `worker/main.ts` is ours. */
export * from './create-worker';
export { loadWorkflowBundle, buildWorkflowBundle, writeWorkflowBundle, defaultBundlePath } from './workflow-bundle';
export { loadWorkerEnv, loadTemporalSettings, type WorkerEnv, type TemporalSettings } from './config';
export { loadMiddlewareDeps } from './middleware-config';
export { setUpObservability, type WorkerObservability } from './observability';
export { startWorkerHttpServer, type WorkerHttpServerOptions } from './http-server';
export { ensureSearchAttributes } from './search-attributes';
export * from './events/event-bus';
export { createActivities, type ActivitiesDeps, type AgentActivities } from '../activities';
export { loadProviderEnv, type ProviderEnv } from '../activities/models/provider-config';
export { createDataConverter } from '../codec';
// The SDK's own, so a user's worker connects with the same @temporalio/worker as ours.
export { NativeConnection, Runtime, DefaultLogger, type Worker } from '@temporalio/worker';
export * from './agents';
