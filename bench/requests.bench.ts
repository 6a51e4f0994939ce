/**
 * bench:requests: what one run of bench:compare's job costs the Temporal server, bare against ours, counted rather
 * than timed: the dev server's own `service_requests` and `persistence_requests` (its Prometheus endpoint) over
 * BENCH_RUNS runs, divided per run. Each side gets a fresh worker process and first makes one run per user, so every
 * user's ledger exists when it counts. Free of the rounds' noise, so a change of a run's round trips shows here first.
 *
 * Run: `npm run bench:requests`. Settings (env): BENCH_RUNS (60), BENCH_CONCURRENCY (20), BENCH_USERS (20).
 */
import { z } from 'zod';
import { portForAnotherProcess } from '../testing/dev-server';
import { startDevEnvironment, uniqueTaskQueue } from '../testing/environment';
import { pool, sleep } from './compare/pool';
import { bareSide, oursSide, type SideName } from './compare/sides';
import { startStubProcess } from './compare/stub';

const count = (fallback: number) => z.coerce.number().int().min(1).default(fallback);
const settings = z
  .object({ BENCH_RUNS: count(60), BENCH_CONCURRENCY: count(20), BENCH_USERS: count(20) })
  .parse(process.env);
const toolCalls = 2;
const counted = ['service_requests', 'persistence_requests', 'visibility_persistence_requests'] as const;

/** `<metric> <operation>` to its value, summed over the other labels. */
async function serverCounters(metricsPort: number): Promise<Map<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  const counters = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^(\w+)\{(.*)\} (\S+)$/.exec(line);
    if (!m || !(counted as readonly string[]).includes(m[1])) continue;
    const key = `${m[1]} ${/operation="([^"]+)"/.exec(m[2])?.[1] ?? '-'}`;
    counters.set(key, (counters.get(key) ?? 0) + Number(m[3]));
  }
  return counters;
}

async function main(): Promise<void> {
  const { BENCH_RUNS: runs, BENCH_CONCURRENCY: concurrency, BENCH_USERS: users } = settings;
  console.log(`bench:requests: ${runs} runs at ${concurrency} concurrent over ${users} warm users, per side`);
  const metricsPort = await portForAnotherProcess();
  const env = await startDevEnvironment(['--metrics-port', String(metricsPort)]);
  const stub = await startStubProcess();
  const perRun = new Map<SideName, Map<string, number>>();
  try {
    const ctx = { client: env.client, temporalAddress: env.address, stubUrl: stub.url };
    for (const side of [bareSide(ctx), oursSide(ctx)]) {
      const taskQueue = uniqueTaskQueue(`requests-${side.name}`);
      const worker = await side.startWorker(taskQueue);
      try {
        const batch = (n: number, tag: string) =>
          pool(
            Array.from({ length: n }, (_, i) => i),
            concurrency,
            (i) => side.run(taskQueue, `${taskQueue}-${tag}-${i}`, `user-${i % users}`, toolCalls),
          );
        await batch(users, 'warm');
        // Let the warm-up's last tasks (the ledgers' included) finish before counting.
        await sleep(2000);
        const before = await serverCounters(metricsPort);
        await batch(runs, 'run');
        await sleep(3000);
        const after = await serverCounters(metricsPort);
        perRun.set(
          side.name,
          new Map([...after].map(([key, value]) => [key, (value - (before.get(key) ?? 0)) / runs])),
        );
      } finally {
        await worker.kill('SIGTERM');
      }
    }
  } finally {
    await stub.stop();
    await env.teardown();
  }
  const bare = perRun.get('bare')!;
  const ours = perRun.get('ours')!;
  const cell = (v = 0) => v.toFixed(2);
  console.log('\n| per run | bare | ours |\n|---|---|---|');
  for (const metric of counted) {
    const total = (side: Map<string, number>) =>
      [...side].filter(([key]) => key.startsWith(`${metric} `)).reduce((sum, [, v]) => sum + v, 0);
    console.log(`| **${metric}** | ${cell(total(bare))} | ${cell(total(ours))} |`);
    const keys = [...new Set([...bare.keys(), ...ours.keys()])].filter((k) => k.startsWith(`${metric} `)).sort();
    for (const key of keys) {
      if (Math.max(bare.get(key) ?? 0, ours.get(key) ?? 0) < 0.005) continue;
      console.log(`| ${key.slice(metric.length + 1)} | ${cell(bare.get(key))} | ${cell(ours.get(key))} |`);
    }
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
