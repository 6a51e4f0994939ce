/**
 * Observability of one worker process: the event bus, our Prometheus metrics, and the Temporal SDK's own
 * worker metrics (Core's Prometheus exporter on a loopback port, served again through our /metrics).
 */
import type { Client } from '@temporalio/client';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { EventBus } from './events/event-bus';
import { transportFromSetting } from './events/transports';
import { jsonLogFunction } from './json-log';
import { registerFleetGauges } from './fleet-gauges';
import { freePort } from './free-port';
import { registerAgentMetrics } from './metrics';

export interface WorkerObservability {
  bus: EventBus;
  registry: Registry;
  /** Our metrics followed by the SDK's, in Prometheus text format. */
  metricsText(): Promise<string>;
  contentType: string;
  /** Adds gauges read from visibility, once a client exists. */
  addFleetGauges(client: Client): void;
}

/** Must run before any connection is made: it installs the SDK runtime. */
export async function setUpObservability(options: {
  eventsTransport?: string;
  logLevel?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  logFormat?: 'json' | 'text';
}): Promise<WorkerObservability> {
  const sdkMetricsPort = await freePort();
  Runtime.install({
    logger: new DefaultLogger(options.logLevel ?? 'INFO', options.logFormat === 'text' ? undefined : jsonLogFunction),
    telemetryOptions: { metrics: { prometheus: { bindAddress: `127.0.0.1:${sdkMetricsPort}` } } },
  });
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  let metrics: ReturnType<typeof registerAgentMetrics> | undefined;
  const bus = new EventBus({ onHandlerError: (handler) => metrics?.eventHandlerErrors.inc({ handler }) });
  metrics = registerAgentMetrics(registry, bus);
  const transport = transportFromSetting(options.eventsTransport);
  if (transport) bus.addTransport(transport);

  return {
    bus,
    registry,
    contentType: registry.contentType,
    addFleetGauges: (client) => registerFleetGauges(registry, client),
    async metricsText() {
      const ours = dropMisnamedDefaults(await registry.metrics());
      const sdk = await fetch(`http://127.0.0.1:${sdkMetricsPort}/metrics`)
        .then((res) => (res.ok ? res.text() : ''))
        .catch(() => '');
      return `${ours}\n${sdk}`;
    },
  };
}

/** prom-client names three gauges `nodejs_active_*_total`, which `promtool check metrics` rejects; we drop them. */
function dropMisnamedDefaults(text: string): string {
  return text
    .split('\n')
    .filter((line) => !/nodejs_active_(handles|requests|resources)_total\b/.test(line))
    .join('\n');
}
