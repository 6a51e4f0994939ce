/** A worker in its own process (`worker/main.ts`), so tests can SIGKILL it mid-run. */
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { projectRoot } from './paths';
import { spawnGroup, stopGroup } from './process-group';

export interface WorkerProcess {
  child: ChildProcess;
  output(): string;
  /** Sends `signal` to the worker's process group; resolves with its exit code once no process of the group is left. */
  kill(signal?: NodeJS.Signals): Promise<number | null>;
}

/** `script`: the worker entry; default `worker/main.ts` (tests/fixtures has variants). */
export async function startWorkerProcess(
  env: Record<string, string>,
  timeoutMs = 60_000,
  script = join(projectRoot, 'worker', 'main.ts'),
): Promise<WorkerProcess> {
  // Node itself with tsx's loader, not the tsx wrapper (which cannot pass SIGKILL on), in a process group of
  // its own so a stop reaches whatever the worker started too.
  const child = spawnGroup(process.execPath, ['--import', 'tsx', script], {
    cwd: projectRoot,
    env: { ...process.env, METRICS_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  await new Promise<void>((resolve, reject) => {
    // A worker that did not start in time is not left running.
    const timer = setTimeout(
      () => void stopGroup(child, 'SIGKILL').then(() => reject(new Error(`worker did not start:\n${output}`))),
      timeoutMs,
    );
    const check = () => {
      if (/state: 'RUNNING'|"state":"RUNNING"/.test(output)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', check);
    child.stderr!.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`worker exited with ${code}:\n${output}`));
    });
  });
  child.removeAllListeners('exit');
  // Started: stop scanning the whole output on every chunk (a busy worker's log lines made that quadratic).
  child.stdout!.removeAllListeners('data').on('data', (d) => (output += d));
  child.stderr!.removeAllListeners('data').on('data', (d) => (output += d));
  return {
    child,
    output: () => output,
    kill: async (signal: NodeJS.Signals = 'SIGTERM') => {
      await stopGroup(child, signal);
      return child.exitCode;
    },
  };
}
