/**
 * Worker processes for crash tests and benchmarks: SIGKILL a worker with all it started, keep a crashing
 * worker alive by restarting it, read a worker's `/metrics`.
 */
import { startWorkerProcess, type WorkerProcess } from './worker-process';

/** SIGKILLs the worker's process group (the worker and anything it started); resolves when all of it is gone. */
export async function sigkillWorker(w: WorkerProcess): Promise<void> {
  await w.kill('SIGKILL');
}

function exited(w: WorkerProcess): Promise<void> {
  if (w.child.exitCode !== null || w.child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => w.child.once('exit', () => resolve()));
}

/** A worker that is started again whenever it dies, until `stop()`. */
export class SupervisedWorker {
  /** Deaths so far (each followed by a restart unless stopped). */
  deaths = 0;
  private current?: WorkerProcess;
  private stopped = false;
  private readonly loop: Promise<void>;
  /** Output of every process so far. */
  private readonly outputs: (() => string)[] = [];

  constructor(private readonly start: () => Promise<WorkerProcess>) {
    this.loop = this.keepAlive();
  }

  output(): string {
    return this.outputs.map((o) => o()).join('\n');
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.current) await sigkillWorker(this.current);
    await this.loop;
  }

  private async keepAlive(): Promise<void> {
    while (!this.stopped) {
      let w: WorkerProcess;
      try {
        w = await this.start();
      } catch (err) {
        // A start that timed out on a busy machine: try again rather than leave the runs without a worker.
        console.error(`supervised worker did not start, trying again: ${(err as Error).message.split('\n')[0]}`);
        continue;
      }
      this.current = w;
      this.outputs.push(w.output);
      if (this.stopped) await sigkillWorker(w);
      await exited(w);
      if (!this.stopped) this.deaths++;
    }
  }
}

/** Starts a worker process with `startWorkerProcess`'s arguments, kept alive by a {@link SupervisedWorker}. */
export function superviseWorker(...args: Parameters<typeof startWorkerProcess>): SupervisedWorker {
  return new SupervisedWorker(() => startWorkerProcess(...args));
}

/** Samples of one metric family from a worker's `/metrics`, as `{ labels, value }`. */
export async function scrapeMetric(
  port: number,
  name: string,
): Promise<{ labels: Record<string, string>; value: number }[]> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const samples: { labels: Record<string, string>; value: number }[] = [];
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const labels: Record<string, string> = {};
    for (const [, k, v] of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[k] = v;
    samples.push({ labels, value: Number(m[3]) });
  }
  return samples;
}

/** Sum of a metric's samples whose labels include `match`. */
export async function metricSum(port: number, name: string, match: Record<string, string> = {}): Promise<number> {
  const samples = await scrapeMetric(port, name);
  return samples
    .filter((s) => Object.entries(match).every(([k, v]) => s.labels[k] === v))
    .reduce((n, s) => n + s.value, 0);
}
