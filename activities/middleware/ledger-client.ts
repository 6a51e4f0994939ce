/**
 * The ledger as activities reach it: update-with-start on `ledger-<user>`, so the first call of a user
 * starts the ledger workflow and every later one (from any worker) goes to the same one.
 */
import { Context } from '@temporalio/activity';
import { WithStartWorkflowOperation, type Client } from '@temporalio/client';
import { CancelledFailure, type SignalDefinition, type UpdateDefinition } from '@temporalio/common';
import {
  acquireUpdate,
  admitUpdate,
  commitSignal,
  ledgerWorkflowId,
  releaseSignal,
  reserveUpdate,
  type UserLedgerInput,
} from '../../agents/ledger';
import type { userLedgerWorkflow } from '../../workflows';
import type { LedgerClient } from './types';

/**
 * @param taskQueue Where a new ledger workflow runs: the task queue of the activity that starts it, so
 * the same workers serve it. A ledger that exists keeps its queue.
 */
export function temporalLedgerClient(client: Client, taskQueue: string): LedgerClient {
  const start = (user: string) => ({
    workflowId: ledgerWorkflowId(user),
    taskQueue,
    args: [{ user }] as [UserLedgerInput],
    staticSummary: `usage ledger of ${user}`,
  });
  const update = <Ret, Arg>(def: UpdateDefinition<Ret, [Arg]>, user: string, input: Arg): Promise<Ret> =>
    untilCancelled(
      client.workflow.executeUpdateWithStart(def, {
        args: [input],
        startWorkflowOperation: new WithStartWorkflowOperation<typeof userLedgerWorkflow>('userLedgerWorkflow', {
          ...start(user),
          workflowIdConflictPolicy: 'USE_EXISTING',
        }),
      }),
    );
  // Returns once the server has written the signal to the ledger's history.
  const signal = async <Arg>(def: SignalDefinition<[Arg]>, user: string, input: Arg): Promise<void> => {
    await client.workflow.signalWithStart<typeof userLedgerWorkflow, [Arg]>('userLedgerWorkflow', {
      ...start(user),
      signal: def,
      signalArgs: [input],
    });
  };
  return {
    acquire: (user, input) => update(acquireUpdate, user, input),
    reserve: (user, input) => update(reserveUpdate, user, input),
    admit: (user, input) => update(admitUpdate, user, input),
    release: (user, input) => signal(releaseSignal, user, input),
    commit: (user, input) => signal(commitSignal, user, input),
  };
}

/**
 * Ends the wait for an update when the calling activity is cancelled (stop, cancel, worker shutdown).
 * The activity's client cannot cancel the call itself, and an update waits for a ledger worker: on a
 * draining worker that wait would never end and would block the shutdown.
 */
function untilCancelled<T>(call: Promise<T>): Promise<T> {
  let signal: AbortSignal;
  try {
    signal = Context.current().cancellationSignal;
  } catch {
    return call; // not inside an activity (tests, benchmarks)
  }
  if (signal.aborted) return Promise.reject(new CancelledFailure('ledger call cancelled'));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new CancelledFailure('ledger call cancelled'));
    signal.addEventListener('abort', onAbort, { once: true });
    call.then(
      (value) => (signal.removeEventListener('abort', onAbort), resolve(value)),
      (err) => (signal.removeEventListener('abort', onAbort), reject(err)),
    );
  });
}
