/** The OpenAI-compatible stub (llm-stub/) in a process of its own, so its CPU is neither the worker's nor the driver's. */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { Fault, LoggedRequest } from '../../llm-stub';
import { projectRoot } from '../../testing/paths';

export interface StubProcess {
  /** Base URL for OpenAI clients, ending in /v1. */
  url: string;
  /** Requests logged so far (API calls only). */
  count(): Promise<number>;
  requests(run: string): Promise<LoggedRequest[]>;
  addFaults(faults: Fault[]): Promise<void>;
  clear(): Promise<void>;
  stop(): Promise<void>;
}

export async function startStubProcess(): Promise<StubProcess> {
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', join(projectRoot, 'llm-stub', 'main.ts'), '--port', '0'],
    {
      cwd: projectRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const url = await new Promise<string>((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`llm-stub did not start:\n${output}`)), 60_000);
    const onData = (d: Buffer) => {
      output += d;
      const m = /listening on (\S+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`llm-stub exited with ${code}:\n${output}`)));
  });
  const admin = (path: string, init?: RequestInit) =>
    fetch(`${url.replace(/\/v1$/, '')}/_stub/${path}`, init).then((r) => r.json());
  return {
    url,
    count: async () => ((await admin('health')) as { requests: number }).requests,
    requests: async (run) => (await admin(`requests?run=${encodeURIComponent(run)}`)) as LoggedRequest[],
    addFaults: async (faults) =>
      void (await admin('faults', {
        method: 'POST',
        body: JSON.stringify(faults),
        headers: { 'content-type': 'application/json' },
      })),
    clear: async () => void (await admin('requests', { method: 'DELETE' })),
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
