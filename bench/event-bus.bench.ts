/**
 * Event bus and observability overhead, measured against baselines in the same process:
 *   publish with 0, 1 and 10 subscribers vs a bare function call;
 *   a run's end-to-end time with observability on (metrics + JSONL transport) vs off (bus with no subscribers).
 * Run: npx tsx bench/event-bus.bench.ts
 */
import { performance } from 'node:perf_hooks';
import { Registry } from 'prom-client';
import type { AgentEvent } from '../agents/events';
import { AgentClient } from '../client';
import { EventBus } from '../worker/events/event-bus';
import { JsonLinesTransport } from '../worker/events/transports';
import { registerAgentMetrics } from '../worker/metrics';
import { createAgentWorker } from '../worker/create-worker';
import { startDevEnvironment, uniqueTaskQueue } from '../testing/environment';

const event: AgentEvent = {
  type: 'activity.model_call',
  at: new Date().toISOString(),
  runId: 'r',
  data: {
    model: 'scripted:auto',
    template: 'react',
    outcome: 'ok',
    attempt: 1,
    durationSeconds: 0.01,
    inputTokens: 10,
    outputTokens: 5,
    cachedTokens: 0,
    costUsd: 0,
  },
};

/** Best of 5 rounds, in microseconds per call. */
function perOp(fn: () => void, n = 200_000): number {
  for (let i = 0; i < 20_000; i++) fn();
  let best = Infinity;
  for (let round = 0; round < 5; round++) {
    const start = performance.now();
    for (let i = 0; i < n; i++) fn();
    best = Math.min(best, ((performance.now() - start) * 1000) / n);
  }
  return best;
}

function publishCosts(): void {
  let sink = 0;
  const baseline = perOp(() => void (sink += event.data ? 1 : 0));
  console.log(`baseline (bare call): ${baseline.toFixed(3)} µs/op`);
  for (const subscribers of [0, 1, 10]) {
    const bus = new EventBus();
    for (let i = 0; i < subscribers; i++) bus.subscribe({ types: ['activity.model_call'] }, () => void sink++);
    const cost = perOp(() => bus.publish(event));
    console.log(
      `publish, ${String(subscribers).padStart(2)} subscribers: ${cost.toFixed(3)} µs/op (${(cost / baseline).toFixed(1)}x baseline; reference runtime ~100 µs with none)`,
    );
  }
  const metricsBus = new EventBus();
  registerAgentMetrics(new Registry(), metricsBus);
  const withMetrics = perOp(() => metricsBus.publish(event), 50_000);
  console.log(`publish into the Prometheus metrics handlers: ${withMetrics.toFixed(3)} µs/op`);
}

async function runCosts(): Promise<void> {
  const env = await startDevEnvironment();
  // One queue for all phases: per-user ledger workflows live on the queue that first started them.
  const taskQueue = uniqueTaskQueue('bench');
  const time = async (bus: EventBus, label: string) => {
    const worker = await createAgentWorker({
      connection: env.nativeConnection,
      namespace: 'default',
      taskQueue,
      activities: { providerEnv: {} },
      bus,
    });
    const client = new AgentClient(env.client, { taskQueue });
    return worker.runUntil(async () => {
      const runs = 20;
      const start = performance.now();
      await Promise.all(
        Array.from({ length: runs }, (_, i) =>
          client
            .start({
              template: 'react',
              input: { task: 'count', maxSteps: 20 },
              user: `bench-${i}`,
              model: 'scripted:auto?rounds=5',
            })
            .then((h) => h.result()),
        ),
      );
      const ms = (performance.now() - start) / runs;
      console.log(`${label}: ${ms.toFixed(1)} ms per 6-step run (20 concurrent)`);
      return ms;
    });
  };
  // Warm up the server and the bundle once.
  await time(new EventBus(), 'warm-up');
  const off = await time(new EventBus(), 'observability off');
  const onBus = new EventBus();
  registerAgentMetrics(new Registry(), onBus);
  onBus.addTransport(new JsonLinesTransport('/dev/null'));
  const on = await time(onBus, 'observability on ');
  console.log(`ratio on/off: ${(on / off).toFixed(3)}`);
  await env.teardown();
}

publishCosts();
runCosts().catch((err) => {
  console.error(err);
  process.exit(1);
});
