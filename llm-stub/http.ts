// Small node:http helpers for the stub: body reading, JSON replies, and waits that end when the client leaves.
import type { IncomingMessage, ServerResponse } from 'node:http';

/** Largest request body accepted, in bytes (long conversations with padding stay well under it). */
export const maxBodyBytes = 32 * 1024 * 1024;

/** Thrown by {@link readJson} with the status and OpenAI-style message to send back. */
export class BodyError extends Error {
  override readonly name = 'BodyError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Reads and parses a JSON request body; an empty body reads as `undefined`. */
export async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBodyBytes) throw new BodyError(413, `Request body is larger than ${maxBodyBytes} bytes.`);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new BodyError(
      400,
      'We could not parse the JSON body of your request. Send a JSON object with Content-Type: application/json.',
    );
  }
}

/** Sends `body` as JSON with `status` and any extra headers. */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** Writes `data` and resolves once it has been handed to the socket (so a following reset cannot drop it). */
export function writeFlushed(res: ServerResponse, data: string): Promise<void> {
  return new Promise((resolve, reject) => res.write(data, (err) => (err ? reject(err) : resolve())));
}

/** Resolves `true` after `ms`, or `false` as soon as `signal` aborts (the client disconnected). */
export function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Resolves when `signal` aborts. */
export function untilAborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}
