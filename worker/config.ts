/** Worker settings: Temporal connection the Temporal way (envconfig), our own settings from env via zod. */
import { loadClientConnectConfig } from '@temporalio/envconfig';
import { z } from 'zod';
import { describeZodError } from '../agents/errors';

const intFromEnv = (fallback: number, min: number, max: number) =>
  z.coerce.number().int().min(min).max(max).default(fallback);

export const workerEnvSchema = z.object({
  /** Task queue the worker polls. */
  AGENT_TASK_QUEUE: z.string().min(1).max(200).default('agents'),
  /** Port of /metrics, /healthz, /readyz; 0 disables the server. */
  METRICS_PORT: intFromEnv(9464, 0, 65535),
  METRICS_HOST: z.string().default('0.0.0.0'),
  AGENT_MAX_CONCURRENT_ACTIVITIES: intFromEnv(200, 1, 10_000),
  AGENT_MAX_CONCURRENT_WORKFLOW_TASKS: intFromEnv(100, 1, 10_000),
  /**
   * Workflows kept in memory between tasks (runs, sessions, ledgers); a parked run costs 0.3 to 0.45 MB. Default:
   * what a quarter of memory holds at 512 KiB each, at most 1,024 (worker/workflow-cache.ts). Smaller bounds memory;
   * evicted workflows replay their history on their next task.
   * Workflow-task slots are lowered to it if larger.
   */
  AGENT_MAX_CACHED_WORKFLOWS: z.coerce.number().int().min(1).max(100_000).optional(),
  /** Seconds in-flight activities get to finish on SIGINT/SIGTERM before they are handed back. */
  AGENT_SHUTDOWN_GRACE_SECONDS: intFromEnv(10, 0, 3600),
  /** Where events also go: `jsonl:PATH`, `jsonl:-` (stdout) or an http(s) collector URL. */
  AGENT_EVENTS_TRANSPORT: z.string().optional(),
  AGENT_LOG_LEVEL: z.enum(['DEBUG', 'INFO', 'WARN', 'ERROR']).default('INFO'),
  /** `json`: one JSON object per log line (default); `text`: the SDK's human format. */
  AGENT_LOG_FORMAT: z.enum(['json', 'text']).default('json'),
  /**
   * `1` (default): built-in tools run as local activities (no trip through the server; the UI timeline shows them
   * as `callTool` markers). `0`: every tool call is an activity task of its own, labelled with its summary.
   */
  AGENT_LOCAL_TOOLS: z.enum(['0', '1']).default('1'),
  /** Catalog file (JSON or YAML): templates and MCP servers this worker offers besides the built-ins; re-read on change. */
  AGENT_CATALOG_FILE: z.string().min(1).optional(),
  /** Prebuilt workflow bundle; built from `workflows/` when missing or older than the sources. */
  WORKFLOW_BUNDLE: z.string().optional(),
});
export type WorkerEnv = z.infer<typeof workerEnvSchema>;

export interface TemporalSettings {
  address: string;
  namespace: string;
  connectionOptions: ReturnType<typeof loadClientConnectConfig>['connectionOptions'];
}

export function loadWorkerEnv(env: NodeJS.ProcessEnv = process.env): WorkerEnv {
  const parsed = workerEnvSchema.safeParse(env);
  if (!parsed.success) throw new Error(`Invalid worker settings: ${describeZodError(parsed.error)}`);
  return parsed.data;
}

/** TEMPORAL_ADDRESS (default localhost:7233), TEMPORAL_NAMESPACE (default "default"), API key, TLS, profile file. */
export function loadTemporalSettings(env: NodeJS.ProcessEnv = process.env): TemporalSettings {
  const config = loadClientConnectConfig({ overrideEnvVars: env as Record<string, string> });
  const address = config.connectionOptions.address ?? 'localhost:7233';
  return {
    address,
    namespace: config.namespace ?? 'default',
    connectionOptions: { ...config.connectionOptions, address },
  };
}
