/**
 * Free TCP ports on 127.0.0.1. One process never gets the same port twice, even once its first holder has let
 * it go: ports asked for together are always distinct.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

const handedOut = new Set<number>();
const attempts = 50;
/** Below this the ports are privileged or well known. */
const lowestPort = 10_000;
let ephemeralStart: number | undefined;

/** A port the OS picks, for this process to bind right away. */
export async function freePort(): Promise<number> {
  return pick(() => 0);
}

/**
 * A port for another process to bind later (a server or worker a test or bench starts). Until that bind, the
 * port is free for anyone, so it comes from below the OS's ephemeral range: no port the OS hands out meanwhile
 * (another `listen(0)`, a dev server's own metrics port) can be it. Where there is no room below, the OS picks.
 */
export async function portForAnotherProcess(): Promise<number> {
  const below = (ephemeralStart ??= ephemeralRangeStart());
  if (below <= lowestPort + attempts) return freePort();
  return pick(() => lowestPort + Math.floor(Math.random() * (below - lowestPort)));
}

/** Whether `port` can be bound on 127.0.0.1 now. */
export async function portIsFree(port: number): Promise<boolean> {
  return (await listenOnce(port)) !== undefined;
}

async function pick(candidate: () => number): Promise<number> {
  for (let i = 0; i < attempts; i++) {
    const wanted = candidate();
    if (handedOut.has(wanted)) continue;
    const port = await listenOnce(wanted);
    // Checked after the bind too: calls running at once may both have bound and released the same port.
    if (port !== undefined && !handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error(`no free TCP port on 127.0.0.1 after ${attempts} attempts`);
}

/** The port bound and released, or undefined if `port` was taken (0 lets the OS pick). */
function listenOnce(port: number): Promise<number | undefined> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', (err: NodeJS.ErrnoException) =>
      err.code === 'EADDRINUSE' || err.code === 'EACCES' ? resolve(undefined) : reject(err),
    );
    server.listen(port, '127.0.0.1', () => {
      const bound = (server.address() as { port: number }).port;
      server.close(() => resolve(bound));
    });
  });
}

/** Linux's `ip_local_port_range` start; 0 (no room below: the OS picks) where it cannot be read. */
function ephemeralRangeStart(): number {
  try {
    return Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || 0;
  } catch {
    return 0;
  }
}
