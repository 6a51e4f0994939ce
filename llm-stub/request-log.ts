// The stub's request log: in memory for tests, optionally appended as JSON lines to a file.
import { appendFileSync } from 'node:fs';
import type { Fault } from './faults';
import type { RequestKey } from './fault-queue';

/**
 * How a request ended. `pending` while in flight; `ok` for a normal reply; `fault` when a fault
 * shaped the response; `rejected` when the stub refused it (bad body, unknown path);
 * `client-closed` when the client hung up before the reply was complete.
 */
export type RequestOutcome = 'pending' | 'ok' | 'fault' | 'rejected' | 'client-closed';

/** One logged API request. Headers are not logged, so secrets never reach the log. */
export interface LoggedRequest {
  /** 1, 2, 3, ... in arrival order; not reset by `clearRequests()`. */
  seq: number;
  /** Arrival time, ISO 8601. */
  time: string;
  method: string;
  /** URL path without the query string. */
  path: string;
  key: RequestKey;
  /** Whether an `Authorization` header was present (its value is never recorded). */
  authorization: boolean;
  /** The `model` field as sent, including any `?param=value` part. */
  model?: string;
  stream?: boolean;
  messageCount?: number;
  /** Names from `tools[].function.name`. */
  tools?: string[];
  /** The fault applied to this request, as it was queued. */
  fault?: Fault;
  /** HTTP status sent; undefined when no response headers went out (hang, reset, client gone). */
  status?: number;
  outcome: RequestOutcome;
  /** Time from arrival to the end of the exchange, in milliseconds; 0 while pending. */
  durationMs: number;
}

export interface RequestLogOptions {
  /** Append each finished request as one JSON line to this file. Default: memory only. */
  logFile?: string;
}

export class RequestLog {
  private entries: LoggedRequest[] = [];
  private nextSeq = 1;

  constructor(private readonly options: RequestLogOptions = {}) {}

  /**
   * Records a request as soon as it arrives, so tests see it (as `pending`) even when the client
   * gave up before the stub noticed. The returned entry is filled in by the handler.
   */
  begin(fields: Pick<LoggedRequest, 'method' | 'path' | 'key' | 'authorization'>): LoggedRequest {
    const entry: LoggedRequest = {
      seq: this.nextSeq++,
      time: new Date().toISOString(),
      ...fields,
      outcome: 'pending',
      durationMs: 0,
    };
    this.entries.push(entry);
    return entry;
  }

  /** Sets the final outcome and duration, and appends the entry to the log file if configured. */
  finish(entry: LoggedRequest, outcome: Exclude<RequestOutcome, 'pending'>, status: number | undefined): void {
    entry.outcome = outcome;
    entry.status = status;
    entry.durationMs = Date.now() - Date.parse(entry.time);
    // Synchronous so lines stay in completion order and are on disk before a test reads the file.
    if (this.options.logFile) appendFileSync(this.options.logFile, `${JSON.stringify(entry)}\n`);
  }

  /** Copies of the logged requests, oldest first. */
  list(): LoggedRequest[] {
    return structuredClone(this.entries);
  }

  /** Forgets logged requests (the file is left alone) and returns how many there were. */
  clear(): number {
    const count = this.entries.length;
    this.entries = [];
    return count;
  }
}
