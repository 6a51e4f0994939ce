/**
 * Load: many concurrent runs (scripted model, react, a few steps each) through one worker process, then through
 * two, against one dev server; then many runs of one user at once (its ledger serializes their accounting).
 * Checks nothing is lost (every run completes with its steps, the users' ledger totals equal their runs' usage)
 * and prints runs/s, step latency (p50/p99 from the durable `step.started`/`step.finished` events) and each
 * worker's peak RSS (`process_resident_memory_bytes` from its `/metrics`). Stops by itself; exit 1 if anything
 * was lost or stuck.
 *
 * Run: `npm run bench:load`. Settings: BENCH_RUNS (default 1000), BENCH_STEPS (3), BENCH_USERS (200),
 * BENCH_HOT_RUNS (runs of the one hot user, 100; 0 skips), BENCH_QUOTA (1: a quota policy, so every model call
 * also reserves in the ledger with an update; 0: no policy, only the commit signal), BENCH_PHASE_TIMEOUT_S (480),
 * and the workers' own (AGENT_MAX_CONCURRENT_ACTIVITIES, AGENT_MAX_CACHED_WORKFLOWS, ...) passed through.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { PolicyInput } from '../activities/middleware/policy';
import type { RunEvent } from '../agents/events';
import { eventsQuery } from '../agents/messages';
import { AgentClient, type AgentRunHandle, type RunResult } from '../client';
import { freshWorkflowBundle } from '../testing/bundle';
import { portForAnotherProcess } from '../testing/dev-server';
import { startDevEnvironment, uniqueTaskQueue } from '../testing/environment';
import { scrapeMetric, sigkillWorker } from '../testing/processes';
import { startWorkerProcess, type WorkerProcess } from '../testing/worker-process';
import { percentile, pool } from './compare/pool';

const runs = Number(process.env.BENCH_RUNS ?? 1000);
const steps = Number(process.env.BENCH_STEPS ?? 3);
const users = Number(process.env.BENCH_USERS ?? 200);
const hotRuns = Number(process.env.BENCH_HOT_RUNS ?? 100);
const phaseTimeoutMs = Number(process.env.BENCH_PHASE_TIMEOUT_S ?? 480) * 1000;
const quota = process.env.BENCH_QUOTA !== '0';

/** A quota far above what the bench spends: every model call reserves (admit update) and commits (signal) in its user's ledger. */
const policy: PolicyInput = {
  roles: { metered: { quota: { usd: 1_000_000, period: 'day' } } },
  defaultRoles: ['metered'],
};

interface PhaseReport {
  name: string;
  completed: number;
  lost: string[];
  seconds: number;
  stepLatencyMs: number[];
  /** `model.call` durations: the model-call activity from start to result (conversation, ledger, model). */
  modelCallMs: number[];
  rssMb: number[];
  ledgerMismatches: string[];
  workerErrors: Record<string, { count: number; first: string }>;
}

/** Worker log lines that name a problem, counted by kind, with the first of each kind. */
function workerErrors(workers: WorkerProcess[]): Record<string, { count: number; first: string }> {
  const kinds: Record<string, RegExp> = {
    'ResourceExhausted (in-flight updates)': /in-flight updates|ResourceExhausted/i,
    'activity failed': /Activity failed|activity.*failed/i,
    'workflow task failed': /Failing workflow task|workflow task failed/i,
  };
  const found: Record<string, { count: number; first: string }> = {};
  for (const line of workers.flatMap((w) => w.output().split('\n'))) {
    for (const [kind, pattern] of Object.entries(kinds)) {
      if (pattern.test(line)) (found[kind] ??= { count: 0, first: summarizeLogLine(line) }).count++;
    }
  }
  return found;
}

/** A JSON log line as its workflow, activity and error (the part that says what went wrong); other lines cut short. */
function summarizeLogLine(line: string): string {
  try {
    const entry = JSON.parse(line) as {
      message?: string;
      workflowId?: string;
      activityType?: string;
      error?: { type?: string; message?: string };
    };
    if (entry.error)
      return `${entry.message} (${entry.workflowId}, ${entry.activityType}): ${entry.error.type ?? ''} ${entry.error.message ?? ''}`.slice(
        0,
        600,
      );
  } catch {
    // Not JSON: the SDK's own log format.
  }
  return line.slice(0, 400);
}

async function runPhase(
  env: TestWorkflowEnvironment,
  name: string,
  workerCount: number,
  runCount: number,
  userOf: (i: number) => string,
): Promise<PhaseReport> {
  const taskQueue = uniqueTaskQueue('load');
  const ports = await Promise.all(Array.from({ length: workerCount }, () => portForAnotherProcess()));
  const bundle = await freshWorkflowBundle();
  const workers = await Promise.all(
    ports.map((port) =>
      startWorkerProcess(
        {
          TEMPORAL_ADDRESS: env.address,
          AGENT_TASK_QUEUE: taskQueue,
          METRICS_PORT: String(port),
          METRICS_HOST: '127.0.0.1',
          WORKFLOW_BUNDLE: bundle,
          ...(quota ? { AGENT_POLICY: JSON.stringify(policy) } : {}),
        },
        180_000,
      ),
    ),
  );
  const peakRss = ports.map(() => 0);
  const sampler = setInterval(() => {
    ports.forEach(
      (port, i) =>
        void scrapeMetric(port, 'process_resident_memory_bytes').then(
          ([s]) => (peakRss[i] = Math.max(peakRss[i], s?.value ?? 0)),
          () => undefined,
        ),
    );
  }, 2000);
  try {
    const client = new AgentClient(env.client, { taskQueue });
    const started = Date.now();
    const ids = Array.from({ length: runCount }, (_, i) => `${name}-${i}`);
    const handles = await pool(ids, 50, (runId) =>
      client.start({
        runId,
        template: 'react',
        input: { task: 'count', maxSteps: steps + 2 },
        model: `scripted:auto?rounds=${steps - 1}`,
        user: userOf(Number(runId.split('-').at(-1))),
      }),
    );
    console.log(`  ${name}: ${runCount} runs started in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    const deadline = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), phaseTimeoutMs).unref());
    const outcomes = await Promise.all(
      handles.map((h) => Promise.race([h.result().catch((err: Error) => err), deadline])),
    );
    const seconds = (Date.now() - started) / 1000;
    const lost = ids.filter((_, i) => {
      const o = outcomes[i] as RunResult | Error | 'timeout';
      return o === 'timeout' || o instanceof Error || o.status !== 'completed' || o.steps !== steps;
    });
    const timings = await pool(handles, 20, stepTimings);
    const stepLatencyMs = timings.flatMap((t) => t.steps).sort((a, b) => a - b);
    const modelCallMs = timings.flatMap((t) => t.modelCalls).sort((a, b) => a - b);
    const ledgerMismatches = await checkLedgers(client, outcomes, userOf);
    return {
      name,
      completed: runCount - lost.length,
      lost,
      seconds,
      stepLatencyMs,
      modelCallMs,
      rssMb: peakRss.map((b) => b / 1e6),
      ledgerMismatches,
      workerErrors: workerErrors(workers),
    };
  } finally {
    clearInterval(sampler);
    await Promise.all(workers.map(sigkillWorker));
  }
}

/**
 * Milliseconds from each `step.started` to its `step.finished` (workflow time: includes waiting for a worker
 * slot and in the task queue), and each `model.call`'s duration (the activity alone).
 */
async function stepTimings(handle: AgentRunHandle): Promise<{ steps: number[]; modelCalls: number[] }> {
  const steps: number[] = [];
  const modelCalls: number[] = [];
  try {
    const { events } = await handle.workflow.query(eventsQuery, { after: 0 });
    const startedAt = new Map<number, number>();
    for (const e of events as RunEvent[]) {
      const step = (e.data as { step?: number }).step ?? 0;
      if (e.type === 'step.started') startedAt.set(step, Date.parse(e.at));
      if (e.type === 'step.finished' && startedAt.has(step)) steps.push(Date.parse(e.at) - startedAt.get(step)!);
      if (e.type === 'model.call') modelCalls.push((e as RunEvent<'model.call'>).data.durationMs);
    }
  } catch {
    // counted as missing below
  }
  return { steps, modelCalls };
}

/** Users whose ledger total (model calls, tokens) differs from the sum of their runs' usage. */
async function checkLedgers(
  client: AgentClient,
  outcomes: unknown[],
  userOf: (i: number) => string,
): Promise<string[]> {
  const expected = new Map<string, { calls: number; tokens: number }>();
  outcomes.forEach((o, i) => {
    const usage = (o as RunResult)?.usage;
    if (!usage) return;
    const user = userOf(i);
    const sum = expected.get(user) ?? { calls: 0, tokens: 0 };
    expected.set(user, {
      calls: sum.calls + usage.modelCalls,
      tokens: sum.tokens + usage.inputTokens + usage.outputTokens,
    });
  });
  const mismatches = await pool([...expected], 20, async ([user, want]) => {
    const { day } = await client.usage(user);
    return day.calls === want.calls && day.totalTokens === want.tokens
      ? undefined
      : `${user}: ledger ${day.calls} calls/${day.totalTokens} tokens, runs ${want.calls}/${want.tokens}`;
  });
  return mismatches.filter((m): m is string => m !== undefined);
}

function print(r: PhaseReport): void {
  const lat = r.stepLatencyMs;
  console.log(
    `${r.name}: ${r.completed}/${r.completed + r.lost.length} runs completed in ${r.seconds.toFixed(1)} s = ${(r.completed / r.seconds).toFixed(1)} runs/s, ` +
      `${((r.completed * steps) / r.seconds).toFixed(1)} steps/s; step latency p50 ${percentile(lat, 50)} ms, p99 ${percentile(lat, 99)} ms (${lat.length} steps), ` +
      `model-call activity p50 ${percentile(r.modelCallMs, 50)} ms, p99 ${percentile(r.modelCallMs, 99)} ms; ` +
      `worker peak RSS ${r.rssMb.map((mb) => `${mb.toFixed(0)} MB`).join(', ')}; ledgers ${r.ledgerMismatches.length ? `WRONG: ${r.ledgerMismatches.slice(0, 3).join('; ')}` : 'exact'}` +
      (Object.keys(r.workerErrors).length
        ? `; worker log: ${Object.entries(r.workerErrors)
            .map(([k, v]) => `${v.count} x ${k}`)
            .join(', ')}`
        : ''),
  );
  for (const [kind, { first }] of Object.entries(r.workerErrors)) console.log(`  first "${kind}": ${first}`);
  if (r.lost.length)
    console.log(`  lost or stuck: ${r.lost.slice(0, 10).join(', ')}${r.lost.length > 10 ? ', ...' : ''}`);
}

/** Two workers against the one-worker baseline of the same script. */
function printRatios(one: PhaseReport, two: PhaseReport): void {
  const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}x`;
  const peak = (r: PhaseReport) => Math.max(...r.rssMb);
  console.log(
    `two workers vs one: runs/s ${ratio(two.completed / two.seconds, one.completed / one.seconds)}, ` +
      `step latency p50 ${ratio(percentile(two.stepLatencyMs, 50), percentile(one.stepLatencyMs, 50))}, p99 ${ratio(percentile(two.stepLatencyMs, 99), percentile(one.stepLatencyMs, 99))}, ` +
      `peak RSS per worker ${ratio(peak(two), peak(one))}`,
  );
}

async function main(): Promise<void> {
  console.log(
    `load bench: ${runs} runs x ${steps} steps (react, scripted model), ${users} users, ${quota ? 'quota accounting on' : 'no policy (commit only)'}; then ${hotRuns} runs of one user`,
  );
  const env = await startDevEnvironment();
  const reports: PhaseReport[] = [];
  try {
    for (const workerCount of [1, 2]) {
      const name = `${workerCount}-worker${workerCount > 1 ? 's' : ''}`;
      // Users of their own per phase: a user's ledger workflow stays on the task queue that first started it.
      const report = await runPhase(env, name, workerCount, runs, (i) => `${name}-user-${i % users}`);
      print(report);
      reports.push(report);
    }
    printRatios(reports[0], reports[1]);
    if (hotRuns > 0) {
      const report = await runPhase(env, 'hot-user', 1, hotRuns, () => 'load-hot-user');
      print(report);
      reports.push(report);
    }
  } finally {
    await env.teardown();
  }
  const failed = reports.filter((r) => r.lost.length || r.ledgerMismatches.length);
  if (failed.length) {
    console.log(`FAILED: ${failed.map((r) => r.name).join(', ')}`);
    process.exitCode = 1;
  }
}

main().then(
  // Result polls of runs that never finished would outlive the server; end here.
  () => process.exit(process.exitCode ?? 0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
