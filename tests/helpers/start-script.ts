/**
 * Runs `scripts/start.sh` as the README says, on free ports and a data directory of its own, and records
 * every process it starts (tests/helpers/process-tree.ts) so a test can show none is left when it ends.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { portForAnotherProcess } from '../../worker/free-port';
import { projectRoot } from '../../testing/paths';
import { spawnGroup } from '../../testing/process-group';
import { survivors, watchDescendants, type ProcessRecord } from '../../testing/process-tree';

export interface StartScriptRun {
  pid: number;
  dataDir: string;
  uiPort: number;
  metricsPort: number;
  /** stdout and stderr so far. */
  output(): string;
  /** Resolves once `text` appears in the output (rejects if the script ends first). */
  waitFor(text: string | RegExp): Promise<void>;
  /** The script's end: its exit code or signal, every process seen under it, those still alive, and the worker's log (the data directory is removed then). */
  exited: Promise<ScriptEnd>;
}

export interface ScriptEnd {
  code: number | null;
  signal: NodeJS.Signals | null;
  seen: ProcessRecord[];
  left: ProcessRecord[];
  workerLog: string;
}

export async function runStartScript(env: Record<string, string> = {}): Promise<StartScriptRun> {
  const [temporalPort, uiPort, metricsPort] = [
    await portForAnotherProcess(),
    await portForAnotherProcess(),
    await portForAnotherProcess(),
  ];
  const dataDir = mkdtempSync(join(tmpdir(), 'agents-main-'));
  // Its own process group, as a terminal would give it: a Ctrl-C there reaches this group and nothing else.
  const child = spawnGroup('bash', ['scripts/start.sh'], {
    cwd: projectRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      TEMPORAL_PORT: String(temporalPort),
      UI_PORT: String(uiPort),
      METRICS_PORT: String(metricsPort),
      DATA_DIR: dataDir,
      OPENAI_API_KEY: '',
      ANTHROPIC_API_KEY: '',
      ...env,
    },
  });
  const watch = watchDescendants(child.pid!);
  let output = '';
  const listeners = new Set<() => void>();
  const onData = (d: Buffer) => {
    output += d;
    for (const l of listeners) l();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<ScriptEnd>((resolve) => {
    child.once('exit', async (code, signal) => {
      const seen = watch.stop();
      // The rest of its output, unless a process left behind holds the pipes open (then it is a survivor below).
      const closed = new Promise((r) => child.once('close', r));
      await Promise.race([closed, new Promise((r) => setTimeout(r, 5000).unref())]);
      for (const l of listeners) l();
      const left = survivors(seen);
      const logFile = join(dataDir, 'worker.log');
      const workerLog = existsSync(logFile) ? readFileSync(logFile, 'utf8') : '';
      if (left.length === 0) rmSync(dataDir, { recursive: true, force: true }); // else a survivor may still write there
      resolve({ code, signal, seen, left, workerLog });
    });
  });
  const ended = () => child.exitCode !== null || child.signalCode !== null;
  const waitFor = (text: string | RegExp) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (typeof text === 'string' ? output.includes(text) : text.test(output)) {
          listeners.delete(check);
          resolve();
        } else if (ended()) {
          listeners.delete(check);
          // The worker's log goes with the data directory: its last lines say why a step failed.
          void exited.then(({ workerLog }) =>
            reject(
              new Error(
                `start.sh ended before printing ${text}:\n${output}\nworker.log, last lines:\n${workerLog.split('\n').slice(-20).join('\n')}`,
              ),
            ),
          );
        }
      };
      listeners.add(check);
      check();
    });
  return { pid: child.pid!, dataDir, uiPort, metricsPort, output: () => output, waitFor, exited };
}

/** SIGKILLs what a failed test left behind (each process as recorded: pid and start time checked first). */
export function killLeftovers(left: ProcessRecord[]): void {
  for (const p of survivors(left)) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
}
