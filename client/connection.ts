/** Connects a Temporal `Client` the Temporal way: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, API key, TLS, profile file. */
import { Client, Connection } from '@temporalio/client';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import { createDataConverter } from '../codec/data-converter';

export interface ConnectOptions {
  /** How long to try reaching the server. Default 10 s (the SDK's). */
  connectTimeout?: string;
}

export async function connectClient(
  env: NodeJS.ProcessEnv = process.env,
  options: ConnectOptions = {},
): Promise<Client> {
  const config = loadClientConnectConfig({ overrideEnvVars: env as Record<string, string> });
  // Same codecs as the workers (AGENT_PAYLOAD_*, AGENT_BLOB_*): inputs go out encrypted, results come back readable.
  const dataConverter = createDataConverter(env);
  const connection = await Connection.connect({
    ...config.connectionOptions,
    address: config.connectionOptions.address ?? 'localhost:7233',
    ...(options.connectTimeout ? { connectTimeout: options.connectTimeout } : {}),
  });
  return new Client({ connection, namespace: config.namespace ?? 'default', dataConverter });
}

/** The task queue our workers poll: the one given, else `AGENT_TASK_QUEUE`, else `agents` (as the worker defaults). */
export function taskQueueFrom(given: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return given ?? (env.AGENT_TASK_QUEUE || 'agents');
}
