/**
 * Event transports to other processes: JSON lines (a file or stdout, for log shippers) and HTTP POST
 * batches (for a collector). Chosen with AGENT_EVENTS_TRANSPORT=jsonl:PATH | jsonl:- | http(s)://URL.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import type { AgentEvent } from '../../agents/events';
import type { EventTransport } from './event-bus';

export class JsonLinesTransport implements EventTransport {
  readonly name = 'jsonl';
  private readonly out: NodeJS.WritableStream | WriteStream;

  constructor(path: string) {
    this.out = path === '-' ? process.stdout : createWriteStream(path, { flags: 'a' });
  }

  send(event: AgentEvent): void {
    this.out.write(`${JSON.stringify(event)}\n`);
  }

  async close(): Promise<void> {
    if (this.out !== process.stdout) await new Promise<void>((resolve) => (this.out as WriteStream).end(resolve));
  }
}

/** POSTs JSON arrays of events, at most one request per interval; drops the oldest past `maxQueued`. */
export class HttpBatchTransport implements EventTransport {
  readonly name = 'http';
  private queue: AgentEvent[] = [];
  private timer?: NodeJS.Timeout;
  private inFlight: Promise<void> = Promise.resolve();

  constructor(
    private readonly url: string,
    private readonly intervalMs = 1000,
    private readonly maxQueued = 10_000,
  ) {}

  send(event: AgentEvent): void {
    this.queue.push(event);
    if (this.queue.length > this.maxQueued) this.queue.splice(0, this.queue.length - this.maxQueued);
    this.timer ??= setTimeout(() => this.flush(), this.intervalMs);
  }

  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0) return this.inFlight;
    this.inFlight = this.inFlight.then(async () => {
      const res = await fetch(this.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(batch),
      });
      if (!res.ok) throw new Error(`event collector answered ${res.status}`);
    });
    return this.inFlight;
  }

  async close(): Promise<void> {
    await this.flush().catch(() => undefined);
  }
}

export function transportFromSetting(setting: string | undefined): EventTransport | undefined {
  if (!setting) return undefined;
  if (setting.startsWith('jsonl:')) return new JsonLinesTransport(setting.slice('jsonl:'.length));
  if (/^https?:\/\//.test(setting)) return new HttpBatchTransport(setting);
  throw new Error(`AGENT_EVENTS_TRANSPORT "${setting}" is not jsonl:PATH, jsonl:- or an http(s) URL`);
}
