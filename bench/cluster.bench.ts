/**
 * The same job on the production stack (scripts/cluster.sh: Temporal's four services on PostgreSQL, its two
 * agent workers) and on the dev server (`temporal server start-dev`, SQLite, two worker processes): runs/s and
 * per-run latency (start returned → result) side by side. For docs/deployment.md; the machine is shared, so the
 * figures are noisy.
 *
 * Run: `npx tsx bench/cluster.bench.ts`. Settings: BENCH_RUNS (200), BENCH_STEPS (3: react, scripted model,
 * 2 calculator calls), BENCH_USERS (20; a quota policy, so every model call reserves and commits in its
 * user's ledger). Builds the cluster's servers first if this machine has not yet (minutes).
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { PolicyInput } from '../activities/middleware/policy';
import { AgentClient } from '../client';
import { freshWorkflowBundle } from '../testing/bundle';
import { cluster, freePortBase } from '../tests/helpers/cluster';
import { startDevEnvironment, uniqueTaskQueue } from '../testing/environment';
import { projectRoot } from '../testing/paths';
import { sigkillWorker } from '../testing/processes';
import { startWorkerProcess } from '../testing/worker-process';
import { percentile, pool } from './compare/pool';

const runs = Number(process.env.BENCH_RUNS ?? 200);
const steps = Number(process.env.BENCH_STEPS ?? 3);
const users = Number(process.env.BENCH_USERS ?? 20);
const policy: PolicyInput = {
  roles: { metered: { quota: { usd: 1_000_000, period: 'day' } } },
  defaultRoles: ['metered'],
};

interface JobReport {
  name: string;
  completed: number;
  seconds: number;
  latencyMs: number[];
}

/** The job: `runs` react runs started at once (50 starts in parallel), each awaited to its result. */
async function job(name: string, slug: string, agents: AgentClient): Promise<JobReport> {
  const prefix = `${slug}-${randomUUID().slice(0, 6)}`;
  const started = Date.now();
  const latencyMs = await pool(
    Array.from({ length: runs }, (_, i) => i),
    50,
    async (i) => {
      const handle = await agents.start({
        runId: `${prefix}-${i}`,
        template: 'react',
        input: { task: 'count', maxSteps: steps + 2 },
        model: `scripted:auto?rounds=${steps - 1}`,
        user: `bench-${i % users}`,
      });
      const t0 = Date.now();
      const result = await handle.result();
      return result.status === 'completed' && result.steps === steps ? Date.now() - t0 : NaN;
    },
  );
  const ok = latencyMs.filter((ms) => !Number.isNaN(ms)).sort((a, b) => a - b);
  return { name, completed: ok.length, seconds: (Date.now() - started) / 1000, latencyMs: ok };
}

function print(r: JobReport): void {
  const l = r.latencyMs;
  console.log(
    `${r.name}: ${r.completed}/${runs} runs completed in ${r.seconds.toFixed(1)} s = ${(r.completed / r.seconds).toFixed(1)} runs/s; per-run latency p50 ${percentile(l, 50)} ms, p95 ${percentile(l, 95)} ms, max ${l.at(-1)} ms`,
  );
}

async function onCluster(bundle: string): Promise<JobReport> {
  const dataDir = join(projectRoot, '.data', `cluster-bench-${randomUUID().slice(0, 8)}`);
  mkdirSync(dataDir, { recursive: true });
  const env = {
    CLUSTER_DATA_DIR: dataDir,
    CLUSTER_PORT_BASE: String(await freePortBase()),
    AGENT_POLICY: JSON.stringify(policy),
    WORKFLOW_BUNDLE: bundle,
  };
  try {
    const up = await cluster(['up'], env, 40 * 60_000);
    console.log(`cluster up in ${up.seconds.toFixed(0)} s`);
    const address = /^TEMPORAL_ADDRESS=(.+)$/m.exec(up.stdout)![1];
    const connection = await Connection.connect({ address });
    try {
      return await job(
        'cluster (PostgreSQL, 4 Temporal services, 2 workers)',
        'bench-cluster',
        new AgentClient(new Client({ connection }), { taskQueue: 'agents' }),
      );
    } finally {
      await connection.close();
    }
  } finally {
    await cluster(['down'], env).catch((err) => console.error(err));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function onDevServer(bundle: string): Promise<JobReport> {
  const env = await startDevEnvironment();
  const taskQueue = uniqueTaskQueue('bench');
  const workers = await Promise.all(
    [0, 1].map(() =>
      startWorkerProcess(
        {
          TEMPORAL_ADDRESS: env.address,
          AGENT_TASK_QUEUE: taskQueue,
          WORKFLOW_BUNDLE: bundle,
          AGENT_POLICY: JSON.stringify(policy),
        },
        180_000,
      ),
    ),
  );
  try {
    return await job(
      'dev server (SQLite, 1 process, 2 workers)',
      'bench-dev',
      new AgentClient(env.client, { taskQueue }),
    );
  } finally {
    await Promise.all(workers.map(sigkillWorker));
    await env.teardown();
  }
}

async function main(): Promise<void> {
  console.log(`cluster bench: ${runs} runs x ${steps} steps (react, scripted model), ${users} users with a quota`);
  const bundle = await freshWorkflowBundle();
  const reports = [await onCluster(bundle), await onDevServer(bundle)];
  reports.forEach(print);
  process.exitCode = reports.every((r) => r.completed === runs) ? 0 : 1;
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
