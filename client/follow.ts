/**
 * Following a run (or session) from any process: its durable step events from a sequence number, and
 * the streamed text of its model calls. Both read queries, so following adds nothing to history, and
 * both resume exactly where the caller left off after a disconnect.
 */
import type { WorkflowHandle } from '@temporalio/client';
import type { RunEvent } from '../agents/events';
import { eventsQuery, tokensQuery } from '../agents/messages';
import { toAgentError } from './errors';

export interface FollowOptions {
  /** Poll interval while waiting for more. Default 250 ms. */
  pollMs?: number;
  /** Stop following when aborted. */
  signal?: AbortSignal;
  /** Keep polling after the run has ended? Default false: stop at its last event. */
  untilAborted?: boolean;
}

/** Raised when the events after `after` were already dropped from the run's bounded log. */
export class EventsGapError extends Error {
  override readonly name = 'EventsGapError';
  constructor(
    readonly after: number,
    readonly firstSeq: number,
  ) {
    super(`events ${after + 1}..${firstSeq - 1} are no longer held by the run (it keeps the most recent 500)`);
  }
}

/** Yields events with `seq > after`, in order, without gaps or duplicates; ends when the run ends. */
export async function* followEvents(
  handle: WorkflowHandle,
  after = 0,
  options: FollowOptions = {},
): AsyncGenerator<RunEvent> {
  let last = after;
  for (;;) {
    const page = await query(handle, () => handle.query(eventsQuery, { after: last }));
    if (page.firstSeq > last + 1 && page.lastSeq > last) throw new EventsGapError(last, page.firstSeq);
    for (const event of page.events) {
      last = event.seq;
      yield event;
    }
    const caughtUp = last >= page.lastSeq;
    if (caughtUp && page.done && !options.untilAborted) return;
    if (caughtUp && !(await pause(options))) return;
  }
}

export interface TokenChunk {
  step: number;
  attempt: number;
  text: string;
  /** This call's text is complete. */
  done: boolean;
}

/** Yields streamed model text as it arrives, call by call, from the call in flight onwards. */
export async function* followTokens(handle: WorkflowHandle, options: FollowOptions = {}): AsyncGenerator<TokenChunk> {
  let step = -1;
  let attempt = 0;
  let from = 0;
  let finished = false;
  for (;;) {
    const page = await query(handle, () => handle.query(tokensQuery, { step, from }));
    if (page.step === step && page.attempt !== attempt && from > 0 && page.offset > 0) {
      // A retry of the same call streams from the start, but the page began at our offset in the old
      // attempt's text: read the new attempt from its start.
      attempt = page.attempt;
      from = 0;
      finished = false;
      continue;
    }
    if (page.step !== step || page.attempt !== attempt) {
      // A new call, or a retry streaming from the start.
      step = page.step;
      attempt = page.attempt;
      from = page.offset;
      finished = false;
    }
    if (page.text && page.step > 0) {
      from = page.offset + page.text.length;
      yield { step, attempt, text: page.text, done: false };
    }
    if (page.done && !finished && page.step > 0) {
      finished = true;
      yield { step, attempt, text: '', done: true };
    }
    if (page.runDone && !options.untilAborted) return;
    if (!(await pause(options))) return;
  }
}

async function query<T>(handle: WorkflowHandle, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toAgentError(err, handle.workflowId);
  }
}

function pause({ pollMs = 250, signal }: FollowOptions): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = () => (clearTimeout(timer), resolve(false));
    const timer = setTimeout(() => (signal?.removeEventListener('abort', onAbort), resolve(true)), pollMs);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
