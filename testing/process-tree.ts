/**
 * Watches every process descending from a root pid (read from /proc while it runs), so a test can show
 * that none of them outlives the root: each is recorded with its start time, so a reused pid is not mistaken for it.
 */
import { readdirSync, readFileSync } from 'node:fs';

export interface ProcessRecord {
  pid: number;
  pgid: number;
  startTime: string;
  command: string;
}

interface Stat {
  ppid: number;
  pgid: number;
  startTime: string;
}

function stat(pid: number): Stat | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after "pid (comm)": comm may hold spaces and parentheses, so split after its last ')'.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    if (fields[0] === 'Z' || fields[0] === 'X') return undefined; // exited, not yet reaped
    return { ppid: Number(fields[1]), pgid: Number(fields[2]), startTime: fields[19] };
  } catch {
    return undefined;
  }
}

function command(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return '?';
  }
}

function allStats(): Map<number, Stat> {
  const stats = new Map<number, Stat>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const s = stat(Number(name));
    if (s) stats.set(Number(name), s);
  }
  return stats;
}

/** Is this very process (same pid, same start time) still running? */
export function isAlive(p: ProcessRecord): boolean {
  return stat(p.pid)?.startTime === p.startTime;
}

/** Pids of the running (not zombie) processes in process group `pgid`. */
export function groupMembers(pgid: number): number[] {
  return [...allStats()].filter(([, s]) => s.pgid === pgid).map(([pid]) => pid);
}

/** Processes alive now that are one of `seen` or in one of their process groups. */
export function survivors(seen: ProcessRecord[]): ProcessRecord[] {
  const groups = new Set(seen.map((p) => p.pgid));
  const alive = seen.filter(isAlive);
  for (const [pid, s] of allStats()) {
    if (groups.has(s.pgid) && !alive.some((p) => p.pid === pid))
      alive.push({ pid, pgid: s.pgid, startTime: s.startTime, command: command(pid) });
  }
  return alive;
}

/** Records the descendants of `root` every `intervalMs` until `stop()`, which returns every one seen. */
export function watchDescendants(root: number, intervalMs = 100): { stop(): ProcessRecord[]; seen(): ProcessRecord[] } {
  const seen = new Map<string, ProcessRecord>();
  const scan = () => {
    const stats = allStats();
    const children = new Map<number, number[]>();
    for (const [pid, s] of stats) children.set(s.ppid, [...(children.get(s.ppid) ?? []), pid]);
    const queue = [...(children.get(root) ?? [])];
    while (queue.length) {
      const pid = queue.shift()!;
      const s = stats.get(pid)!;
      const key = `${pid}@${s.startTime}`;
      if (!seen.has(key)) seen.set(key, { pid, pgid: s.pgid, startTime: s.startTime, command: command(pid) });
      queue.push(...(children.get(pid) ?? []));
    }
  };
  scan();
  const timer = setInterval(scan, intervalMs);
  return {
    seen: () => [...seen.values()],
    stop: () => {
      clearInterval(timer);
      return [...seen.values()];
    },
  };
}
