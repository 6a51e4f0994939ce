/**
 * bench:compare with BENCH_PROFILE_DIR: for each side, heap snapshots of an idle worker and of a worker holding
 * N parked runs (the workflow thread's, via profile-hook.cjs), and CPU profiles of both workers' threads; then
 * what each parked run holds (heap-summary.ts) and where starting and parking them spent CPU (cpu-summary.ts).
 */
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { uniqueTaskQueue } from '../../testing/environment';
import { projectRoot } from '../../testing/paths';
import { sigkillWorker } from '../../testing/processes';
import type { WorkerProcess } from '../../testing/worker-process';
import { summarizeCpuProfile } from './cpu-summary';
import { heapDiff, printHeapDiff } from './heap-summary';
import { parkedPhase, throughputPhase, type PhaseDeps } from './phases';
import { sleep } from './pool';
import type { Side } from './sides';

const hook = join(projectRoot, 'bench', 'compare', 'profile-hook.cjs');

/** Sends SIGWINCH and waits for profile-hook.cjs to say its files are written; returns their paths. */
async function signalHook(w: WorkerProcess): Promise<string[]> {
  const written = () => w.output().match(/profiles (written|failed): .*/g) ?? [];
  const before = written().length;
  w.child.kill('SIGWINCH');
  const deadline = Date.now() + 900_000;
  while (written().length === before) {
    if (Date.now() > deadline) throw new Error('profiles not written in 15 minutes');
    await sleep(500);
  }
  const line = written().at(-1)!;
  if (line.includes('failed')) throw new Error(line);
  return line.replace(/^profiles written: /, '').split(' ');
}

async function stop(w: WorkerProcess): Promise<void> {
  await Promise.race([w.kill('SIGTERM'), sleep(60_000)]);
  await sigkillWorker(w);
}

/**
 * Heap: snapshots of an idle worker and of one holding `n` parked runs. CPU: a worker that starts and parks `n`
 * runs, stopped right after (its main thread's profile ends at "all parked", its workflow thread's at shutdown).
 */
export async function profileParked(side: Side, deps: PhaseDeps, n: number, dir: string): Promise<void> {
  const out = join(resolve(dir), side.name);
  mkdirSync(out, { recursive: true });
  const env = (tag: string, kind: 'cpu' | 'heap') => ({
    NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --require ${hook}`.trim(),
    BENCH_PROFILE_OUT: out,
    BENCH_PROFILE_TAG: tag,
    BENCH_PROFILE_KIND: kind,
  });
  console.log(
    `${side.name}: heap snapshots of an idle worker and of one holding ${n} parked runs, then a CPU profile of starting and parking ${n}; files in ${out}`,
  );
  const idle = await side.startWorker(uniqueTaskQueue(`${side.name}-idle`), env('idle', 'heap'));
  let idleFiles: string[];
  try {
    await sleep(3000);
    idleFiles = await signalHook(idle);
  } finally {
    await stop(idle);
  }
  let parkedFiles: string[] = [];
  const heap = await parkedPhase(side, deps, n, 0, {
    env: env('parked', 'heap'),
    skipResume: true,
    atParked: async (w) => void (parkedFiles = await signalHook(w)),
  });
  console.log(
    `${side.name}: ${n} parked, worker RSS ${(heap.rss / 1e6).toFixed(0)} MB (${(heap.rssPerRun / 1e3).toFixed(0)} KB/run), CPU to start and park ${heap.cpuSecondsToPark.toFixed(1)} s`,
  );
  // The workflow thread is the one snapshot that is not the main thread's.
  const thread = (files: string[]) => files.find((f) => /thread\d+\.heapsnapshot$/.test(f));
  const [idleThread, parkedThread] = [thread(idleFiles), thread(parkedFiles)];
  if (idleThread && parkedThread) printHeapDiff(`${side.name}: workflow thread`, heapDiff(idleThread, parkedThread, n));
  const main = (files: string[]) => files.find((f) => f.endsWith('-main.heapsnapshot'))!;
  printHeapDiff(`${side.name}: main thread`, heapDiff(main(idleFiles), main(parkedFiles), n), 10);

  const cpu = await parkedPhase(side, deps, n, 0, {
    env: env('parked', 'cpu'),
    gracefulStop: true,
    skipResume: true,
    idleCpuPerSecond: 0.3,
    atParked: async (w) => void (await signalHook(w)),
  });
  console.log(
    `\n${side.name}: ${n} parked with CPU profiling on, CPU to start and park ${cpu.cpuSecondsToPark.toFixed(1)} s`,
  );
  const bundle = readFileSync(await side.workflowBundle(), 'utf8');
  const cpuDir = join(out, 'cpu-parked');
  for (const file of readdirSync(cpuDir).filter((f) => f.endsWith('.cpuprofile'))) {
    const which = file.startsWith('main-')
      ? 'main thread, from start to all parked'
      : 'workflow thread, start to shutdown';
    console.log(`\n${side.name} worker CPU profile (${which}): ${summarizeCpuProfile(join(cpuDir, file), 12, bundle)}`);
  }
}

/**
 * CPU profiles of a worker doing `runs` runs at `concurrency` (after the phase's warm-up): the main thread from load
 * to the last result, the workflow thread from start to shutdown (stopped gracefully so the profile is written).
 */
export async function profileThroughput(
  side: Side,
  deps: PhaseDeps,
  runs: number,
  concurrency: number,
  dir: string,
): Promise<void> {
  const out = join(resolve(dir), side.name);
  mkdirSync(out, { recursive: true });
  const tag = `c${concurrency}`;
  const result = await throughputPhase(side, deps, runs, concurrency, {
    env: {
      NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --require ${hook}`.trim(),
      BENCH_PROFILE_OUT: out,
      BENCH_PROFILE_TAG: tag,
      BENCH_PROFILE_KIND: 'cpu',
    },
    atEnd: async (w) => {
      await signalHook(w);
      await stop(w);
    },
  });
  console.log(
    `\n${side.name}: ${runs} runs at ${concurrency} with CPU profiling on: ${result.runsPerSecond.toFixed(1)} runs/s, CPU ${(result.cpuSecondsPerRun * 1000).toFixed(1)} ms/run`,
  );
  const bundle = readFileSync(await side.workflowBundle(), 'utf8');
  const cpuDir = join(out, `cpu-${tag}`);
  for (const file of readdirSync(cpuDir).filter((f) => f.endsWith('.cpuprofile'))) {
    const which = file.startsWith('main-') ? 'main thread' : 'workflow thread';
    console.log(`\n${side.name} worker CPU profile (${which}): ${summarizeCpuProfile(join(cpuDir, file), 25, bundle)}`);
  }
}
