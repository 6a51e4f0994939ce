/**
 * worker/: runs agent workflows and activities. `npm run worker` starts one.
 *
 * Settings: Temporal connection from TEMPORAL_* (envconfig), ours from AGENT_* / METRICS_* (zod), model keys
 * from OPENAI_* / ANTHROPIC_* / OLLAMA_*. SIGINT/SIGTERM drain in-flight activities, then exit.
 */
import { Client } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { loadProviderEnv } from '../activities/models/provider-config';
import { createDataConverter, describePayloadCodecSettings, loadPayloadCodecSettings } from '../codec';
import { loadTemporalSettings, loadWorkerEnv } from './config';
import { createAgentWorker } from './create-worker';
import { startWorkerHttpServer } from './http-server';
import { loadMiddlewareDeps } from './middleware-config';
import { setUpObservability } from './observability';
import { ensureSearchAttributes } from './search-attributes';

async function main(): Promise<void> {
  const env = loadWorkerEnv();
  const providerEnv = loadProviderEnv();
  const { policyDescription, ...middleware } = loadMiddlewareDeps();
  console.log(`policy: ${policyDescription}`);
  const temporal = loadTemporalSettings();
  const dataConverter = createDataConverter();
  console.log(`payloads: ${describePayloadCodecSettings(loadPayloadCodecSettings())}`);
  const observability = await setUpObservability({
    eventsTransport: env.AGENT_EVENTS_TRANSPORT,
    logLevel: env.AGENT_LOG_LEVEL,
    logFormat: env.AGENT_LOG_FORMAT,
  });
  const connection = await NativeConnection.connect(temporal.connectionOptions);
  const added = await ensureSearchAttributes(connection, temporal.namespace);
  if (added.length) console.log(`registered search attributes: ${added.join(', ')}`);

  const worker = await createAgentWorker({
    connection,
    namespace: temporal.namespace,
    taskQueue: env.AGENT_TASK_QUEUE,
    activities: { providerEnv, ...middleware },
    // A bad catalog file stops the worker here with one line naming the field; later it is refused and the previous stays.
    agents: {
      catalogFile: env.AGENT_CATALOG_FILE,
      localTools: env.AGENT_LOCAL_TOOLS === '1',
      log: (level, message) => (level === 'info' ? console.log(message) : console.error(message)),
    },
    workflowBundlePath: env.WORKFLOW_BUNDLE,
    maxConcurrentActivityTaskExecutions: env.AGENT_MAX_CONCURRENT_ACTIVITIES,
    maxConcurrentWorkflowTaskExecutions: env.AGENT_MAX_CONCURRENT_WORKFLOW_TASKS,
    maxCachedWorkflows: env.AGENT_MAX_CACHED_WORKFLOWS,
    shutdownGraceTimeMs: env.AGENT_SHUTDOWN_GRACE_SECONDS * 1000,
    bus: observability.bus,
    dataConverter,
  });

  observability.addFleetGauges(new Client({ connection, namespace: temporal.namespace }));
  const http = env.METRICS_PORT
    ? await startWorkerHttpServer({
        port: env.METRICS_PORT,
        host: env.METRICS_HOST,
        metrics: observability,
        isReady: () => worker.getState() === 'RUNNING',
      })
    : undefined;
  if (http) console.log(`metrics listening on ${JSON.stringify(http.address())}`);

  console.log(
    `worker polling task queue "${env.AGENT_TASK_QUEUE}" on ${temporal.address} (namespace ${temporal.namespace})` +
      (http ? `; metrics on http://${env.METRICS_HOST}:${env.METRICS_PORT}/metrics` : ''),
  );
  try {
    // Resolves after SIGINT/SIGTERM once in-flight tasks finish or the grace time hands them back.
    await worker.run();
  } finally {
    http?.close();
    await observability.bus.close();
    await connection.close();
  }
  console.log('worker stopped');
}

main().catch((err) => {
  console.error(`worker failed: ${err instanceof Error ? err.message : err}`);
  process.exit(1);
});
