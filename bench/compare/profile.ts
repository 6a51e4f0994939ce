/**
 * bench:compare with BENCH_PROFILE_DIR: for each side, a heap snapshot of an idle worker and of a worker holding
 * N parked runs (the workflow thread's, via heap-hook.cjs), and CPU profiles (`--cpu-prof`) of both workers; then
 * what each parked run holds (heap-summary.ts) and where starting and parking them spent CPU (cpu-summary.ts).
 */
import { mkdirSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { uniqueTaskQueue } from '../../tests/helpers/environment';
import { projectRoot } from '../../tests/helpers/paths';
import { sigkillWorker } from '../../tests/helpers/processes';
import type { WorkerProcess } from '../../tests/helpers/worker-process';
import { summarizeCpuProfile } from './cpu-summary';
import { heapDiff, printHeapDiff } from './heap-summary';
import { parkedPhase, type PhaseDeps } from './phases';
import { sleep } from './pool';
import type { Side } from './sides';

const hook = join(projectRoot, 'bench', 'compare', 'heap-hook.cjs');

/** Sends SIGUSR2 and waits for heap-hook.cjs to say its snapshots are written; returns their paths. */
async function snapshot(w: WorkerProcess): Promise<string[]> {
  const written = () => w.output().match(/heap snapshots (written|failed): .*/g) ?? [];
  const before = written().length;
  w.child.kill('SIGUSR2');
  const deadline = Date.now() + 900_000;
  while (written().length === before) {
    if (Date.now() > deadline) throw new Error('heap snapshot not written in 15 minutes');
    await sleep(500);
  }
  const line = written().at(-1)!;
  if (line.includes('failed')) throw new Error(line);
  return line.replace(/^heap snapshots written: /, '').split(' ');
}

async function stop(w: WorkerProcess): Promise<void> {
  await Promise.race([w.kill('SIGTERM'), sleep(60_000)]);
  await sigkillWorker(w);
}

export async function profileParked(side: Side, deps: PhaseDeps, n: number, dir: string): Promise<void> {
  const out = join(resolve(dir), side.name);
  mkdirSync(out, { recursive: true });
  const env = (tag: string) => ({
    NODE_OPTIONS: `--require ${hook} --cpu-prof --cpu-prof-dir=${join(out, `cpu-${tag}`)}`,
    BENCH_HEAP_SNAPSHOT_DIR: out,
    BENCH_HEAP_SNAPSHOT_TAG: tag,
  });
  console.log(`${side.name}: profiling an idle worker, then one that starts and parks ${n} runs; files in ${out}`);
  const idle = await side.startWorker(uniqueTaskQueue(`${side.name}-idle`), env('idle'));
  let idleFiles: string[];
  try {
    await sleep(3000);
    idleFiles = await snapshot(idle);
  } finally {
    await stop(idle);
  }
  let parkedFiles: string[] = [];
  const r = await parkedPhase(side, deps, n, 0, { env: env('parked'), gracefulStop: true, skipResume: true, atParked: async (w) => void (parkedFiles = await snapshot(w)) });
  console.log(`${side.name}: ${n} parked, worker RSS ${(r.rss / 1e6).toFixed(0)} MB (${(r.rssPerRun / 1e3).toFixed(0)} KB/run), CPU to start and park ${r.cpuSecondsToPark.toFixed(1)} s (profiling on)`);
  // The workflow thread is the one snapshot that is not the main thread's.
  const thread = (files: string[]) => files.find((f) => /thread\d+\.heapsnapshot$/.test(f));
  const [idleThread, parkedThread] = [thread(idleFiles), thread(parkedFiles)];
  if (idleThread && parkedThread) printHeapDiff(`${side.name}: workflow thread`, heapDiff(idleThread, parkedThread, n));
  const main = (files: string[]) => files.find((f) => f.endsWith('-main.heapsnapshot'))!;
  printHeapDiff(`${side.name}: main thread`, heapDiff(main(idleFiles), main(parkedFiles), n), 10);
  for (const tag of ['idle', 'parked']) {
    const cpuDir = join(out, `cpu-${tag}`);
    for (const file of readdirSync(cpuDir).filter((f) => f.endsWith('.cpuprofile'))) console.log(`\n${side.name} ${tag} worker CPU profile ${summarizeCpuProfile(join(cpuDir, file), 15)}`);
  }
}
