/**
 * One JSON object per log line for the worker's Temporal runtime logger: `time`, `level`, `message`, then
 * the entry's fields (for activities: workflow id, run id, activity id, attempt, task queue, and ours).
 * `taskToken` is dropped: it is an opaque handle that lets its holder complete the activity.
 */
import type { LogEntry } from '@temporalio/worker';

const dropped = new Set(['taskToken']);

export function jsonLogLine(entry: LogEntry): string {
  const fields: Record<string, unknown> = {
    time: new Date(Number(entry.timestampNanos / 1_000_000n)).toISOString(),
    level: entry.level,
    message: entry.message,
  };
  for (const [key, value] of Object.entries(entry.meta ?? {})) {
    if (dropped.has(key) || value === undefined) continue;
    fields[key] =
      value instanceof Error
        ? { name: value.name, message: value.message, type: (value as { type?: string }).type }
        : value;
  }
  return JSON.stringify(fields, (_key, value) => (typeof value === 'bigint' ? value.toString() : value));
}

/** Writes {@link jsonLogLine} to stderr, as the SDK's default log function does with text. */
export function jsonLogFunction(entry: LogEntry): void {
  process.stderr.write(`${jsonLogLine(entry)}\n`);
}
