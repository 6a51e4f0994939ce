/**
 * Signals that our own activities and workers send a workflow (streamed tokens, failed attempts, ledger commits,
 * catalog withdrawals): plumbing, not controls.
 *
 * They are delivered through the workflow's default signal handler, dispatched by wire name. Handlers set with
 * `setHandler` are listed by the workflow's metadata query, which is what the Temporal UI's "Send a Signal" offers;
 * the default handler is not, so operators see only the controls (`pause`, `resume`, `stop`). The wire names stay
 * as they were, so recorded histories replay unchanged. A signal of no known name is logged and dropped (without a
 * default handler it would have waited in the buffer for a handler that never comes).
 */
import { log, setDefaultSignalHandler, type SignalDefinition } from '@temporalio/workflow';

export interface InternalSignal {
  name: string;
  handle(arg: unknown): void;
}

/** `handle` gets the signal's first argument unchecked: check it before use, and log (never throw) on bad input. */
export function internalSignal<A>(def: SignalDefinition<[A]>, handle: (arg: A) => void): InternalSignal {
  return { name: def.name, handle: handle as (arg: unknown) => void };
}

/**
 * Sets the workflow's one default signal handler to dispatch `signals` by name (the last call wins). Call it after
 * every `setHandler` of a named signal: setting it hands every buffered signal of a name not yet registered to it.
 */
export function setInternalSignalHandlers(...signals: InternalSignal[]): void {
  const byName: Record<string, InternalSignal> = {};
  for (const signal of signals) byName[signal.name] = signal;
  setDefaultSignalHandler((name, ...args) => {
    const signal = Object.prototype.hasOwnProperty.call(byName, name) ? byName[name] : undefined;
    if (signal) signal.handle(args[0]);
    else log.warn('Ignoring a signal of no known name', { signal: name });
  });
}
