/** Runs bench/compare/langgraph-runner.ts in a child process (its RSS its own) and reads its JSON line. */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../../testing/paths';

export function langGraphProcess(mode: 'bench' | 'start' | 'resume', env: Record<string, string>) {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(projectRoot, 'bench', 'compare', 'langgraph-runner.ts'), mode],
    {
      cwd: projectRoot,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  /** The last line the process printed, parsed. */
  const result = <T>(): T | undefined => {
    try {
      return JSON.parse(output.trim().split('\n').at(-1) ?? '') as T;
    } catch {
      return undefined;
    }
  };
  return { child, exited, output: () => output, result };
}

/** A fresh SQLite file for the checkpointer, on disk (as a deployment would keep it). */
export const checkpointFile = (prefix: string) => join(mkdtempSync(join(tmpdir(), `${prefix}-`)), 'checkpoints.db');

export interface LangGraphResult {
  latencyMs: number;
  runsPerSecond: number;
  peakRss: number;
  failed: number;
}

export async function langGraphPhase(
  stubUrl: string,
  rounds: number,
  seqRuns: number,
  runs: number,
  concurrency: number,
): Promise<LangGraphResult> {
  const p = langGraphProcess('bench', {
    LG_STUB_URL: stubUrl,
    LG_CHECKPOINT: checkpointFile('lg-bench'),
    LG_ROUNDS: String(rounds),
    LG_SEQ_RUNS: String(seqRuns),
    LG_RUNS: String(runs),
    LG_CONCURRENCY: String(concurrency),
  });
  const code = await p.exited;
  const result = p.result<LangGraphResult>();
  if (code !== 0 || !result) throw new Error(`LangGraph.js bench failed (exit ${code}):\n${p.output().slice(-1000)}`);
  return result;
}
