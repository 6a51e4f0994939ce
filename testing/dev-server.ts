/**
 * A Temporal dev server process we own (not through @temporalio/testing) so tests can kill it and
 * start it again on the same SQLite file.
 */
import type { ChildProcess } from 'node:child_process';
import { Connection } from '@temporalio/client';
import { portForAnotherProcess } from '../worker/free-port';
import { temporalCli } from './paths';
import { spawnGroup, stopGroup } from './process-group';

export { portForAnotherProcess };

export interface DevServer {
  address: string;
  port: number;
  /** Base URL of the Web UI (`http://127.0.0.1:<port>`) when started with `ui: true`. */
  uiUrl?: string;
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same port and database file. */
  start(): Promise<void>;
}

export interface DevServerOptions {
  dbFilename: string;
  port?: number;
  /** Also serve the Web UI, on a free port. Default false (`--headless`). */
  ui?: boolean;
  /** More `temporal server start-dev` arguments, e.g. `--dynamic-config-value`. */
  extraArgs?: string[];
}

export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  const port = options.port ?? (await portForAnotherProcess());
  const address = `127.0.0.1:${port}`;
  const uiPort = options.ui ? await portForAnotherProcess() : undefined;
  const uiArgs = uiPort === undefined ? ['--headless'] : ['--ui-port', String(uiPort)];
  let child: ChildProcess | undefined;

  const start = async () => {
    const args = [
      'server',
      'start-dev',
      ...uiArgs,
      '--ip',
      '127.0.0.1',
      '--port',
      String(port),
      '--db-filename',
      options.dbFilename,
      '--log-level',
      'error',
      ...(options.extraArgs ?? []),
    ];
    child = spawnGroup(temporalCli, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    try {
      await waitForServer(address);
      if (uiPort !== undefined) await waitForUi(`http://127.0.0.1:${uiPort}`);
    } catch (err) {
      await stopGroup(child, 'SIGKILL');
      throw err;
    }
  };
  const stop = async (signal: NodeJS.Signals = 'SIGTERM') => {
    if (child) await stopGroup(child, signal);
  };
  await start();
  return { address, port, uiUrl: uiPort === undefined ? undefined : `http://127.0.0.1:${uiPort}`, start, stop };
}

async function waitForUi(url: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`Web UI at ${url} did not come up`);
    await new Promise((r) => setTimeout(r, 250));
  }
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
      if (Date.now() > deadline)
        throw new Error(`dev server at ${address} did not come up: ${(err as Error).message}`, { cause: err });
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}
