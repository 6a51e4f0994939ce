// startLlmStub: the OpenAI-compatible stub server (node:http), routing API and admin requests and logging each call.
import {
  createServer,
  type Server,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { adminPrefix, handleAdmin } from './admin';
import { handleChatCompletion } from './chat-completions';
import { parseFaults, type Fault } from './faults';
import { FaultQueue, type RequestKey } from './fault-queue';
import { BodyError, sendJson } from './http';
import { errorBody } from './openai-response';
import { RequestLog, type LoggedRequest, type RequestOutcome } from './request-log';

/** The one model `GET /v1/models` lists. Any model name is accepted by chat completions. */
export const stubModelId = 'stub-model';

export interface LlmStubOptions {
  /** TCP port; 0 picks a free one. Default 0. */
  port?: number;
  /** Interface to listen on. Default `127.0.0.1` (not reachable from other machines). */
  host?: string;
  /** Append every finished API request as a JSON line to this file. Default: `LLM_STUB_LOG`, else memory only. */
  logFile?: string;
  /** Faults queued before the first request. Default none. */
  faults?: Fault[];
}

export interface LlmStub {
  /** Base URL for OpenAI clients, ending in `/v1`, e.g. `http://127.0.0.1:41234/v1`. */
  readonly url: string;
  readonly port: number;
  /** Copies of the logged API requests (admin calls excluded), oldest first. */
  requests(): LoggedRequest[];
  /** Validates and queues faults after the pending ones; throws `InvalidFaultError` on bad input. */
  addFaults(faults: Fault[]): void;
  /** Pending faults, with `times` showing uses left. */
  pendingFaults(): Fault[];
  clearFaults(): void;
  clearRequests(): void;
  /** Stops listening, drops open connections (hanging requests end as `client-closed`) and waits for handlers. Idempotent. */
  close(): Promise<void>;
}

/**
 * Starts the stub server.
 *
 * @example
 * const stub = await startLlmStub();
 * const model = new ChatOpenAI({ model: 'stub-model?rounds=2', apiKey: 'test', configuration: { baseURL: stub.url } });
 * stub.addFaults([{ kind: 'status', status: 429, retryAfterSeconds: 1 }]);
 */
export async function startLlmStub(options: LlmStubOptions = {}): Promise<LlmStub> {
  const host = options.host ?? '127.0.0.1';
  const faults = new FaultQueue();
  faults.add(parseFaults(options.faults ?? []));
  const log = new RequestLog({ logFile: options.logFile ?? (process.env.LLM_STUB_LOG || undefined) });

  const inFlight = new Set<Promise<void>>();
  const server = createServer((req, res) => {
    const served = serve(req, res, faults, log).catch((err: unknown) => {
      // serve() handles its own errors; reaching here is a stub bug, so say so rather than hang the client.
      console.error('llm-stub: unhandled error', err);
      res.destroy();
    });
    inFlight.add(served);
    void served.finally(() => inFlight.delete(served));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) =>
      reject(new Error(`llm-stub could not listen on ${host}:${options.port ?? 0}: ${err.message}`)),
    );
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  let closing: Promise<void> | undefined;
  return {
    url: `http://${urlHost(host)}:${port}/v1`,
    port,
    requests: () => log.list(),
    addFaults: (more) => faults.add(parseFaults(more)),
    pendingFaults: () => faults.pending(),
    clearFaults: () => void faults.clear(),
    clearRequests: () => void log.clear(),
    close: () => (closing ??= closeServer(server, inFlight)),
  };
}

async function closeServer(server: Server, inFlight: Set<Promise<void>>): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    server.close((err) => (err ? reject(err) : resolve()));
    server.closeAllConnections();
  });
  // Handlers finish after their sockets close; waiting for them means no `pending` log entries after close().
  await Promise.allSettled(inFlight);
}

async function serve(req: IncomingMessage, res: ServerResponse, faults: FaultQueue, log: RequestLog): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://llm-stub');
  if (url.pathname.startsWith(adminPrefix)) {
    try {
      return await handleAdmin(req, res, url, { faults, log });
    } catch (err) {
      return sendError(res, err);
    }
  }

  const entry = log.begin({
    method: req.method ?? 'GET',
    path: url.pathname,
    key: keyOf(req.headers),
    authorization: req.headers.authorization !== undefined,
  });
  const controller = new AbortController();
  // 'close' also follows a normal end, sometimes before the handler resumes; only an unfinished response means the client left.
  res.once('close', () => {
    if (!res.writableEnded) controller.abort();
  });
  let outcome: Exclude<RequestOutcome, 'pending'>;
  try {
    outcome = await route(req, res, url, { signal: controller.signal, entry, faults });
  } catch (err) {
    sendError(res, err);
    outcome = 'rejected';
  }
  if (controller.signal.aborted && outcome !== 'fault') outcome = 'client-closed';
  log.finish(entry, outcome, res.headersSent ? res.statusCode : undefined);
}

async function route(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  ctx: { signal: AbortSignal; entry: LoggedRequest; faults: FaultQueue },
): Promise<Exclude<RequestOutcome, 'pending'>> {
  const route = `${req.method} ${url.pathname.replace(/\/+$/, '')}`;
  if (route === 'POST /v1/chat/completions') return handleChatCompletion({ req, res, ...ctx });
  if (route === 'GET /v1/models') {
    sendJson(res, 200, {
      object: 'list',
      data: [{ id: stubModelId, object: 'model', created: 0, owned_by: 'llm-stub' }],
    });
    return 'ok';
  }
  const message = `llm-stub serves POST /v1/chat/completions and GET /v1/models, not ${route}. Point the client's baseURL at the stub's url (ending in /v1).`;
  sendJson(res, 404, errorBody(404, { message, type: 'invalid_request_error', code: 'unknown_url' }));
  return 'rejected';
}

function sendError(res: ServerResponse, err: unknown): void {
  if (res.headersSent || res.destroyed) {
    res.destroy();
    return;
  }
  if (err instanceof BodyError)
    return sendJson(
      res,
      err.status,
      errorBody(err.status, { message: err.message, type: 'invalid_request_error', code: null }),
    );
  sendJson(
    res,
    500,
    errorBody(500, {
      message: `llm-stub internal error: ${(err as Error)?.message ?? String(err)}`,
      type: 'server_error',
      code: null,
    }),
  );
}

/** The request key from our activities' headers; a missing or non-numeric header gives undefined. */
export function keyOf(headers: IncomingHttpHeaders): RequestKey {
  const text = (name: string) => {
    const value = headers[name];
    return (Array.isArray(value) ? value[0] : value) || undefined;
  };
  const int = (name: string) => {
    const value = text(name);
    return value !== undefined && /^\d+$/.test(value) ? Number(value) : undefined;
  };
  return { run: text('x-agent-run'), step: int('x-agent-step'), attempt: int('x-agent-attempt') };
}

function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}
