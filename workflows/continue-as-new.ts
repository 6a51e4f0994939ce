/**
 * The one place that decides when a long-lived workflow (run, session, ledger) continues as new, and how:
 * once history is long, after every handler has finished, carrying one plain state object.
 */
import { allHandlersFinished, condition, workflowInfo } from '@temporalio/workflow';
import type { RunEventLog } from './run-events';

export interface HistoryLimits {
  /** Continue once history has this many events. Default 8,000 (Temporal warns at 10,240). */
  historyEventLimit?: number;
  /** Continue once history has this many bytes. Default 8 MB (Temporal warns at 10 MB). */
  historyByteLimit?: number;
}

export const defaultHistoryLimits: Required<HistoryLimits> = { historyEventLimit: 8_000, historyByteLimit: 8_000_000 };

/** Temporal suggests it, or history is past either limit. */
export function historyIsLong(limits: HistoryLimits = {}): boolean {
  const info = workflowInfo();
  return (
    info.continueAsNewSuggested ||
    info.historyLength >= (limits.historyEventLimit ?? defaultHistoryLimits.historyEventLimit) ||
    info.historySize >= (limits.historyByteLimit ?? defaultHistoryLimits.historyByteLimit)
  );
}

/**
 * Waits until no handler runs, records `run.continued`, then calls `start`, which continues as new with the
 * carried state (`progress` and `start` read state only then: handlers may have changed it meanwhile).
 */
export async function continueAsNewCarrying(
  events: RunEventLog,
  progress: () => { step: number; continuations: number },
  start: () => Promise<never>,
): Promise<never> {
  await condition(allHandlersFinished);
  events.emit('run.continued', progress());
  return start();
}
