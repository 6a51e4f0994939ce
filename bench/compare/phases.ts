/**
 * The measured phases of bench:compare, each on a fresh task queue with a fresh worker process of one side:
 * sequential latency, throughput at a concurrency, parked runs (memory, CPU to start and park, time to resume),
 * and (ours only) one user with many concurrent runs against as many users with one run each.
 */
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { sigkillWorker } from '../../testing/processes';
import { uniqueTaskQueue } from '../../testing/environment';
import type { WorkerProcess } from '../../testing/worker-process';
import { median, pool, poolSettled, sleep } from './pool';
import { cpuSeconds, memory, otherCpuSeconds } from './proc';
import type { Side } from './sides';
import type { StubProcess } from './stub';

export interface PhaseDeps {
  client: Client;
  stub: StubProcess;
  /** Tool calls the model asks for before it answers (the job). */
  rounds: number;
  /** Users runs are spread over (ours keeps a ledger per user). */
  users: number;
  /** Runs each fresh worker makes before a phase measures (spread over the phase's users, at most 100 at once). */
  warmUpRuns: number;
}

/** Sends any failure of a phase to the report instead of the whole bench. */
export interface Failures {
  failed: number;
  first?: string;
}

const failures = (errors: Error[]): Failures => ({ failed: errors.length, first: errors[0]?.message.slice(0, 300) });
const ids = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);
const userOf = (taskQueue: string, users: number) => (i: number) => `${taskQueue}-u${i % users}`;

export async function withWorker<T>(
  side: Side,
  taskQueue: string,
  fn: (w: WorkerProcess, pid: number) => Promise<T>,
  extraEnv?: Record<string, string>,
): Promise<T> {
  const w = await side.startWorker(taskQueue, extraEnv);
  try {
    return await fn(w, w.child.pid!);
  } finally {
    await sigkillWorker(w);
  }
}

/**
 * Runs before measuring: the first runs of a fresh worker pay for JIT and the sandbox's setup. They go to the
 * phase's users, so with as many warm-up runs as users every user's ledger exists when the phase starts.
 */
async function warmUp(side: Side, deps: PhaseDeps, taskQueue: string): Promise<void> {
  const user = userOf(taskQueue, deps.users);
  await pool(ids(`${taskQueue}-warm`, deps.warmUpRuns), Math.min(deps.warmUpRuns, 100), (id, i) =>
    side.run(taskQueue, id, user(i), deps.rounds),
  );
}

export interface LatencyResult extends Failures {
  medianMs: number;
}

export async function latencyPhase(side: Side, deps: PhaseDeps, runs: number): Promise<LatencyResult> {
  const taskQueue = uniqueTaskQueue(`${side.name}-lat`);
  return withWorker(side, taskQueue, async () => {
    await warmUp(side, deps, taskQueue);
    const times: number[] = [];
    const errors = await poolSettled(ids(taskQueue, runs), 1, async (id, i) => {
      const t0 = performance.now();
      await side.run(taskQueue, id, userOf(taskQueue, deps.users)(i), deps.rounds);
      times.push(performance.now() - t0);
    });
    return { medianMs: median(times), ...failures(errors) };
  });
}

export interface ThroughputResult extends Failures {
  runs: number;
  runsPerSecond: number;
  peakRss: number;
  cpuSecondsPerRun: number;
  /** CPU per run of the rest: the dev server, the stub and the bench's client (which starts the runs). */
  otherCpuSecondsPerRun: Record<'server' | 'stub' | 'client', number>;
}

function perRun<K extends string>(now: Record<K, number>, then: Record<K, number>, runs: number): Record<K, number> {
  const out = { ...now };
  for (const k in out) out[k] = (now[k] - then[k]) / runs;
  return out;
}

export async function throughputPhase(
  side: Side,
  deps: PhaseDeps,
  runs: number,
  concurrency: number,
  hooks: { env?: Record<string, string>; atEnd?(w: WorkerProcess): Promise<void> } = {},
): Promise<ThroughputResult> {
  const taskQueue = uniqueTaskQueue(`${side.name}-c${concurrency}`);
  return withWorker(
    side,
    taskQueue,
    async (w, pid) => {
      await warmUp(side, deps, taskQueue);
      const cpu0 = cpuSeconds(pid);
      const others0 = otherCpuSeconds(pid);
      const t0 = performance.now();
      const errors = await poolSettled(ids(taskQueue, runs), concurrency, (id, i) =>
        side.run(taskQueue, id, userOf(taskQueue, deps.users)(i), deps.rounds),
      );
      const seconds = (performance.now() - t0) / 1000;
      const result = {
        runs,
        runsPerSecond: (runs - errors.length) / seconds,
        peakRss: memory(pid).hwm,
        cpuSecondsPerRun: (cpuSeconds(pid) - cpu0) / runs,
        otherCpuSecondsPerRun: perRun(otherCpuSeconds(pid), others0, runs),
        ...failures(errors),
      };
      await hooks.atEnd?.(w);
      return result;
    },
    hooks.env,
  );
}

export interface ParkedResult extends Failures {
  parked: number;
  /** Worker RSS with every run parked. */
  rss: number;
  rssPerRun: number;
  /** Worker CPU from its start to every run parked, without its own start-up. */
  cpuSecondsToPark: number;
  /** Model requests the stub got while the runs started and parked (0 expected). */
  modelCallsWhileParking: number;
  resumeSeconds: number;
}

export interface ParkHooks {
  /** Called once every run is parked, before they are resumed. */
  atParked?(w: WorkerProcess): Promise<void>;
  /** Added to the worker's environment. */
  env?: Record<string, string>;
  /** Stop gracefully (SIGTERM) rather than SIGKILL: profiles are written at exit. */
  gracefulStop?: boolean;
  /** Stop once parked: profiling looks at starting and parking only. */
  skipResume?: boolean;
  /** Worker CPU seconds per second below which it counts as idle. Default 0.05; profilers' sampling costs more. */
  idleCpuPerSecond?: number;
}

/**
 * Starts `n` runs that park with no worker polling, then starts the worker: from its start to the moment it is
 * idle with an empty backlog it starts and parks them all. Then resumes them all (each then does the job with
 * `resumeRounds` tool calls) and waits for every one to finish.
 */
export async function parkedPhase(
  side: Side,
  deps: PhaseDeps,
  n: number,
  resumeRounds: number,
  hooks: ParkHooks = {},
): Promise<ParkedResult> {
  const taskQueue = uniqueTaskQueue(`${side.name}-park`);
  const runIds = ids(taskQueue, n);
  const user = userOf(taskQueue, deps.users);
  await pool(runIds, 50, (id, i) => side.startParked(taskQueue, id, user(i), resumeRounds));
  const stubBefore = await deps.stub.count();
  const w = await side.startWorker(taskQueue, hooks.env);
  const pid = w.child.pid!;
  try {
    const cpu0 = cpuSeconds(pid);
    const rss0 = memory(pid).rss;
    await untilIdle(deps.client, taskQueue, pid, hooks.idleCpuPerSecond ?? 0.05);
    const cpuSecondsToPark = cpuSeconds(pid) - cpu0;
    const rss = memory(pid).rss;
    const modelCallsWhileParking = (await deps.stub.count()) - stubBefore;
    await hooks.atParked?.(w);
    if (hooks.skipResume)
      return {
        parked: n,
        rss,
        rssPerRun: (rss - rss0) / n,
        cpuSecondsToPark,
        modelCallsWhileParking,
        resumeSeconds: NaN,
        failed: 0,
      };
    const t0 = performance.now();
    const errors = await poolSettled(runIds, 100, (id) => side.resumeAndWait(id, resumeRounds));
    const resumeSeconds = (performance.now() - t0) / 1000;
    return {
      parked: n,
      rss,
      rssPerRun: (rss - rss0) / n,
      cpuSecondsToPark,
      modelCallsWhileParking,
      resumeSeconds,
      ...failures(errors),
    };
  } finally {
    if (hooks.gracefulStop) await stopGracefully(w);
    await sigkillWorker(w);
  }
}

async function stopGracefully(w: WorkerProcess): Promise<void> {
  const exited = w.kill('SIGTERM');
  await Promise.race([exited, sleep(60_000)]);
}

/** Workflow tasks waiting on the task queue (not yet taken by a worker). */
async function backlog(client: Client, taskQueue: string): Promise<number> {
  const response = await client.workflowService.describeTaskQueue({
    namespace: client.options.namespace,
    taskQueue: { name: taskQueue, kind: temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
    taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
    reportStats: true,
  });
  return Number(response.stats?.approximateBacklogCount ?? 0);
}

/** Until the backlog is empty and the worker has used (almost) no CPU for two seconds: every run has parked. */
async function untilIdle(
  client: Client,
  taskQueue: string,
  pid: number,
  idleCpuPerSecond: number,
  timeoutMs = 3_600_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = cpuSeconds(pid);
  let quietSeconds = 0;
  while (quietSeconds < 2) {
    if (Date.now() > deadline) throw new Error(`worker on ${taskQueue} still busy after ${timeoutMs / 1000} s`);
    await sleep(1000);
    const [waiting, cpu] = [await backlog(client, taskQueue), cpuSeconds(pid)];
    quietSeconds = waiting === 0 && cpu - last < idleCpuPerSecond ? quietSeconds + 1 : 0;
    last = cpu;
  }
}

export interface HotUserResult extends Failures {
  runs: number;
  oneUserSeconds: number;
  manyUsersSeconds: number;
  /** Worker log lines naming ResourceExhausted (Temporal's in-flight update limit), one user / many users. */
  resourceExhausted: [number, number];
}

/**
 * Ours only: `runs` runs of one user at once, then `runs` runs of as many users at once, each on its own worker.
 * `workerEnv`: e.g. AGENT_POLICY with a quota, so every model call also reserves in the user's ledger (an update).
 */
export async function hotUserPhase(
  side: Side,
  deps: PhaseDeps,
  runs: number,
  workerEnv: Record<string, string> = {},
): Promise<HotUserResult> {
  const once = async (label: string, userOfRun: (taskQueue: string, i: number) => string) => {
    const taskQueue = uniqueTaskQueue(`${side.name}-${label}`);
    return withWorker(
      side,
      taskQueue,
      async (w) => {
        await warmUp(side, deps, taskQueue);
        const t0 = performance.now();
        const errors = await poolSettled(ids(taskQueue, runs), runs, (id, i) =>
          side.run(taskQueue, id, userOfRun(taskQueue, i), deps.rounds),
        );
        const seconds = (performance.now() - t0) / 1000;
        const exhausted = w
          .output()
          .split('\n')
          .filter((line) => /ResourceExhausted|in-flight updates/i.test(line)).length;
        return { seconds, exhausted, errors };
      },
      workerEnv,
    );
  };
  const one = await once('hot', (taskQueue) => `${taskQueue}-hot-user`);
  const many = await once('spread', (taskQueue, i) => `${taskQueue}-u${i}`);
  return {
    runs,
    oneUserSeconds: one.seconds,
    manyUsersSeconds: many.seconds,
    resourceExhausted: [one.exhausted, many.exhausted],
    ...failures([...one.errors, ...many.errors]),
  };
}
