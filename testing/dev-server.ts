/**
 * A Temporal dev server process we own (not through @temporalio/testing) so tests can kill it and
 * start it again on the same SQLite file.
 */
import type { ChildProcess } from 'node:child_process';
import { Connection } from '@temporalio/client';
import { freePort } from '../worker/free-port';
import { temporalCli } from './paths';
import { spawnGroup, stopGroup } from './process-group';

export { freePort };

export interface DevServer {
  address: string;
  port: number;
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same port and database file. */
  start(): Promise<void>;
}

export async function startDevServer(options: { dbFilename: string; port?: number }): Promise<DevServer> {
  const port = options.port ?? (await freePort());
  const address = `127.0.0.1:${port}`;
  let child: ChildProcess | undefined;

  const start = async () => {
    child = spawnGroup(temporalCli, ['server', 'start-dev', '--headless', '--ip', '127.0.0.1', '--port', String(port), '--db-filename', options.dbFilename, '--log-level', 'error'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    try {
      await waitForServer(address);
    } catch (err) {
      await stopGroup(child, 'SIGKILL');
      throw err;
    }
  };
  const stop = async (signal: NodeJS.Signals = 'SIGTERM') => {
    if (child) await stopGroup(child, signal);
  };
  await start();
  return { address, port, start, stop };
}

async function waitForServer(address: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1000 });
      await connection.workflowService.getSystemInfo({});
      await connection.close();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`dev server at ${address} did not come up: ${(err as Error).message}`, { cause: err });
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}
