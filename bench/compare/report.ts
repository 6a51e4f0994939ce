/** bench:compare's summary: one Markdown table (paste-able into docs/benchmarks.md) and what each system survives. */
import type { SurvivalResult } from './survival';

export interface Row {
  label: string;
  unit: string;
  bare: number;
  ours: number;
  langGraph?: number;
  /** Column meaning when the row compares something else than bare and ours. */
  sideNames?: [string, string];
  extra?: string;
}

function format(value: number | undefined, unit: string): string {
  if (value === undefined || !Number.isFinite(value)) return '-';
  const digits = value >= 100 ? 0 : value >= 10 ? 1 : 2;
  return `${value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })} ${unit}`;
}

export function printTable(rows: Row[], survival: [string, SurvivalResult][]): void {
  console.log(
    '\n| figure (medians over rounds) | bare Temporal + LangChain | temporal-agents | ours/bare | LangGraph.js + SQLite |',
  );
  console.log('|---|---|---|---|---|');
  for (const r of rows) {
    const names = r.sideNames ? ` (${r.sideNames[0]} / ${r.sideNames[1]})` : '';
    console.log(
      `| ${r.label}${names} | ${format(r.bare, r.unit)} | ${format(r.ours, r.unit)} | ${(r.ours / r.bare).toFixed(2)}x | ${format(r.langGraph, r.unit)} |`,
    );
    if (r.extra) console.log(`|   ${r.extra} | | | | |`);
  }
  if (survival.length) {
    console.log(
      '\n| SIGKILL mid-run (2nd model call in flight), then restart | finished | model requests (conversation length sent) | finished calls repeated |',
    );
    console.log('|---|---|---|---|');
    for (const [name, s] of survival) {
      console.log(`| ${name} | ${s.finished ? 'yes' : 'no'} | ${s.requests.join(', ')} | ${s.finishedCallsRepeated} |`);
      if (s.note) console.log(`|   ${s.note.replace(/\n/g, ' ').slice(0, 300)} | | | |`);
    }
  }
}
