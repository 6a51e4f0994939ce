/** Our stack in docker-compose.yml: the services it needs, and the worker's environment, ports and health wired. */
import { asArray, asObj, dependenciesOf, environmentOf, str, type ComposeFile } from './compose-file';
import type { Problem } from './problem';

/** Services the stack needs (docs/deployment.md describes each). */
export const stackServices = ['postgresql', 'temporal', 'temporal-ui', 'worker', 'prometheus', 'grafana'] as const;
/** Service that runs our worker image. */
export const workerService = 'worker';
/** Worker env vars that must have a non-empty value in the compose file. */
export const workerRequiredEnv = [
  'TEMPORAL_ADDRESS',
  'TEMPORAL_NAMESPACE',
  'AGENT_TASK_QUEUE',
  'METRICS_PORT',
] as const;
/** Worker env vars that must be declared; a key without a value passes the host's value through. */
export const workerPassthroughEnv = [
  'OPENAI_API_KEY',
  'OPENAI_BASE_URL',
  'ANTHROPIC_API_KEY',
  'ANTHROPIC_BASE_URL',
  'OLLAMA_BASE_URL',
] as const;

/** Compose duration ("1m30s", "60s") in seconds; undefined when it is not one. */
export function durationSeconds(text: string): number | undefined {
  const units: Record<string, number> = { h: 3600, m: 60, s: 1, ms: 0.001 };
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(h|ms|m|s)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text) return undefined;
  return parts.reduce((sum, p) => sum + Number(p[1]) * units[p[2]], 0);
}

export function checkStack(compose: ComposeFile): Problem[] {
  const { file, services } = compose;
  const problems: Problem[] = [];
  const add = (where: string, message: string) => problems.push({ file, where, message });
  for (const name of stackServices) if (!services.has(name)) add('services', `no "${name}" service`);

  const worker = services.get(workerService);
  if (!worker) return problems;
  const at = `services.${workerService}`;
  if (worker.build === undefined) add(at, 'worker should be built from the repo (build: .)');
  const env = environmentOf(worker);
  for (const key of workerRequiredEnv) {
    if (!env.has(key)) add(`${at}.environment`, `${key} is not set`);
    else if (!env.get(key)) add(`${at}.environment`, `${key} is empty`);
  }
  for (const key of workerPassthroughEnv) {
    if (!env.has(key))
      add(`${at}.environment`, `${key} is not declared (declare it without a value to pass the host's through)`);
  }

  // Temporal inside the stack: a service the worker waits for.
  const address = env.get('TEMPORAL_ADDRESS');
  const m = address ? /^([^:/]+):(\d+)$/.exec(address) : null;
  if (address && !m) add(`${at}.environment.TEMPORAL_ADDRESS`, `"${address}" is not host:port`);
  else if (m && !services.has(m[1]) && !m[1].includes('.')) {
    add(`${at}.environment.TEMPORAL_ADDRESS`, `host "${m[1]}" is not a service in this file`);
  } else if (m && services.has(m[1]) && !dependenciesOf(worker).includes(m[1])) {
    add(`${at}.depends_on`, `worker talks to "${m[1]}" (TEMPORAL_ADDRESS) but does not depend on it`);
  }

  // Metrics and health on METRICS_PORT: exposed to Prometheus, and what the healthcheck calls.
  const metricsPort = env.get('METRICS_PORT');
  if (metricsPort) {
    const exposed = [...asArray(worker.expose), ...asArray(worker.ports)].map((p) => str(p) ?? str(asObj(p).target));
    if (!exposed.some((p) => p === metricsPort || p?.endsWith(`:${metricsPort}`))) {
      add(`${at}.expose`, `METRICS_PORT ${metricsPort} is not exposed`);
    }
    const healthcheck = JSON.stringify(asObj(worker.healthcheck).test ?? '');
    if (!healthcheck.includes(`:${metricsPort}/healthz`)) {
      add(`${at}.healthcheck`, `worker healthcheck does not call /healthz on METRICS_PORT ${metricsPort}`);
    }
  }

  // Compose SIGKILLs after stop_grace_period (default 10s): the worker's drain time must fit inside it.
  const grace = Number(env.get('AGENT_SHUTDOWN_GRACE_SECONDS') ?? 10);
  const stopGrace = str(worker.stop_grace_period) ?? '10s';
  const stopSeconds = durationSeconds(stopGrace);
  if (stopSeconds === undefined) add(`${at}.stop_grace_period`, `cannot parse "${stopGrace}"`);
  else if (!(grace < stopSeconds)) {
    add(`${at}.stop_grace_period`, `${stopGrace} is not longer than AGENT_SHUTDOWN_GRACE_SECONDS=${grace}`);
  }
  return problems;
}
