/**
 * Child processes in process groups of their own, stopped by group, so a signal reaches every process they
 * started (a wrapper's child, a worker's MCP servers), never by name. Groups still alive when this process
 * exits, or is stopped by SIGINT/SIGTERM, are SIGKILLed.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { groupMembers } from './process-tree';

const groups = new Set<number>();

function killAll(): void {
  for (const pgid of groups) signalGroup(pgid, 'SIGKILL');
  groups.clear();
}

process.on('exit', killAll);
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, function onSignal() {
    killAll();
    // Only ours listened: die of the signal as we would have without it.
    if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
  });
}

/** `spawn` in a new process group (led by the child, so its pid is the group id). */
export function spawnGroup(command: string, args: readonly string[], options: SpawnOptions = {}): ChildProcess {
  const child = spawn(command, args, { ...options, detached: true });
  const pgid = child.pid;
  if (pgid !== undefined) {
    groups.add(pgid);
    child.once('exit', () => {
      if (!groupAlive(pgid)) groups.delete(pgid);
    });
  }
  return child;
}

/** Sends `sig` to every process of the group; false if none is left. */
export function signalGroup(pgid: number, sig: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, sig);
    return true;
  } catch {
    return false;
  }
}

/** Whether any process of the group is still running (read from /proc: zombies, which cannot run, do not count). */
export function groupAlive(pgid: number): boolean {
  return groupMembers(pgid).length > 0;
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/**
 * Stops the child's group: `sig` to all of it, SIGKILL to all of it after `killAfterMs` (if given) or once
 * the child itself has exited (what outlives it is an orphan). Resolves when no process of the group is left.
 */
export async function stopGroup(
  child: ChildProcess,
  sig: NodeJS.Signals = 'SIGTERM',
  killAfterMs?: number,
): Promise<void> {
  const pgid = child.pid;
  if (pgid === undefined) return;
  signalGroup(pgid, sig);
  const timer = killAfterMs === undefined ? undefined : setTimeout(() => signalGroup(pgid, 'SIGKILL'), killAfterMs);
  await exited(child);
  clearTimeout(timer);
  while (groupAlive(pgid)) {
    signalGroup(pgid, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 50));
  }
  groups.delete(pgid);
}
