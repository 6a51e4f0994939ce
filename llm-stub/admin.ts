// Handler for the stub's admin API under /_stub/: queue and clear faults, read and clear the request log, health.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { InvalidFaultError, parseFaults } from './faults';
import type { FaultQueue } from './fault-queue';
import { readJson, sendJson } from './http';
import { errorBody } from './openai-response';
import type { RequestLog } from './request-log';

/** Route prefix of the admin API; requests under it are not logged and never get faults. */
export const adminPrefix = '/_stub/';

export interface AdminContext {
  faults: FaultQueue;
  log: RequestLog;
}

/**
 * Serves one admin request:
 * - `POST /_stub/faults` with a fault or an array of faults: queues them after the pending ones.
 * - `GET /_stub/faults`: pending faults; `DELETE /_stub/faults`: drops them.
 * - `GET /_stub/requests[?run=ID]`: the request log, optionally for one run; `DELETE /_stub/requests`: clears it.
 * - `GET /_stub/health`: `{ ok: true, pendingFaults, requests }`.
 */
export async function handleAdmin(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  ctx: AdminContext,
): Promise<void> {
  const route = `${req.method} ${url.pathname}`;
  switch (route) {
    case 'POST /_stub/faults': {
      try {
        const faults = parseFaults(await readJson(req));
        ctx.faults.add(faults);
        return sendJson(res, 200, { queued: faults.length, pending: ctx.faults.pending() });
      } catch (err) {
        if (err instanceof InvalidFaultError)
          return sendJson(
            res,
            400,
            errorBody(400, { message: err.message, type: 'invalid_request_error', code: null }),
          );
        throw err;
      }
    }
    case 'GET /_stub/faults':
      return sendJson(res, 200, ctx.faults.pending());
    case 'DELETE /_stub/faults':
      return sendJson(res, 200, { cleared: ctx.faults.clear() });
    case 'GET /_stub/requests': {
      const run = url.searchParams.get('run');
      const requests = ctx.log.list();
      return sendJson(res, 200, run === null ? requests : requests.filter((r) => r.key.run === run));
    }
    case 'DELETE /_stub/requests':
      return sendJson(res, 200, { cleared: ctx.log.clear() });
    case 'GET /_stub/health':
      return sendJson(res, 200, {
        ok: true,
        pendingFaults: ctx.faults.pending().length,
        requests: ctx.log.list().length,
      });
    default:
      return sendJson(
        res,
        404,
        errorBody(404, {
          message: `No admin route ${route}. Use /_stub/faults, /_stub/requests or /_stub/health.`,
          type: 'invalid_request_error',
          code: null,
        }),
      );
  }
}
