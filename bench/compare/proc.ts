/** A process's CPU time and memory from /proc (Linux): what bench:compare reports per worker process. */
import { readdirSync, readFileSync } from 'node:fs';

const ticksPerSecond = 100; // USER_HZ: 100 on Linux (getconf CLK_TCK)

/** User + system CPU seconds of the process so far (all its threads). */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) start at field 3; utime and stime are fields 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
}

export interface Memory {
  /** Resident set size now, bytes. */
  rss: number;
  /** Peak resident set size since the process started, bytes. */
  hwm: number;
}

export function memory(pid: number): Memory {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}

/**
 * CPU seconds so far of `root` and each live descendant but `except`, by role: `server` (the dev server), `stub`,
 * `client` (this bench process and anything else it runs).
 */
export function otherCpuSeconds(
  except: number,
  root: number = process.pid,
): Record<'server' | 'stub' | 'client', number> {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // gone meanwhile
    }
  }
  const inTree = (pid: number): boolean => {
    for (let p: number | undefined = pid; p && p > 1; p = parents.get(p)) {
      if (p === except) return false;
      if (p === root) return true;
    }
    return false;
  };
  const totals = { server: 0, stub: 0, client: 0 };
  for (const pid of parents.keys()) {
    if (!inTree(pid)) continue;
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      const role = /bin\/temporal\b/.test(cmd) ? 'server' : /stub/.test(cmd) ? 'stub' : 'client';
      totals[role] += cpuSeconds(pid);
    } catch {
      // gone meanwhile
    }
  }
  return totals;
}
