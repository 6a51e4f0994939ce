/**
 * What each parked run holds: per-class difference between a heap snapshot of a worker holding `runs` parked runs
 * and one of an idle worker, divided by `runs` (workflows live in the SDK's workflow thread; pass its snapshots).
 *
 * Run: `npx tsx bench/compare/heap-summary.ts <idle.heapsnapshot> <parked.heapsnapshot> <runs> [top]`
 */
import { readHeapSnapshot, totalsByClass, type ClassTotal } from './heap-snapshot';

export interface HeapDiffRow {
  name: string;
  countPerRun: number;
  bytesPerRun: number;
}

export interface HeapDiff {
  totalPerRun: number;
  /** Temporal's per-workflow `Activator` objects in the parked snapshot: the workflows it holds. */
  workflows: number;
  rows: HeapDiffRow[];
}

export function heapDiff(idlePath: string, parkedPath: string, runs: number): HeapDiff {
  const idle = totalsByClass(readHeapSnapshot(idlePath));
  const parked = totalsByClass(readHeapSnapshot(parkedPath));
  const none: ClassTotal = { count: 0, size: 0 };
  const rows = [...parked].map(([name, t]) => {
    const before = idle.get(name) ?? none;
    return { name, countPerRun: (t.count - before.count) / runs, bytesPerRun: (t.size - before.size) / runs };
  });
  const sum = (m: Map<string, ClassTotal>) => [...m.values()].reduce((n, t) => n + t.size, 0);
  return {
    totalPerRun: (sum(parked) - sum(idle)) / runs,
    workflows: parked.get('Activator')?.count ?? 0,
    rows: rows.sort((a, b) => b.bytesPerRun - a.bytesPerRun),
  };
}

export function printHeapDiff(title: string, diff: HeapDiff, top = 25): void {
  console.log(
    `\n${title}: ${(diff.totalPerRun / 1e3).toFixed(1)} KB of JS heap per parked run (self sizes; ${diff.workflows} workflows held), largest classes:`,
  );
  console.log('| class (constructor, closure name or node type) | objects per run | KB per run |');
  console.log('|---|---|---|');
  for (const r of diff.rows.slice(0, top))
    console.log(
      `| ${r.name.replace(/\|/g, '\\|')} | ${r.countPerRun.toFixed(1)} | ${(r.bytesPerRun / 1e3).toFixed(1)} |`,
    );
}

if (require.main === module) {
  const [idle, parked, runs, top] = process.argv.slice(2);
  if (!idle || !parked || !runs) {
    console.error('usage: heap-summary.ts <idle.heapsnapshot> <parked.heapsnapshot> <runs> [top]');
    process.exit(2);
  }
  printHeapDiff(parked, heapDiff(idle, parked, Number(runs)), Number(top ?? 25));
}
