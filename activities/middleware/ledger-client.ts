/**
 * The ledger as activities reach it: update-with-start on `ledger-<user>`, so the first call of a user
 * starts the ledger workflow and every later one (from any worker) goes to the same one. Calls of one user made
 * at once on this worker share ledger messages (see `Batcher`).
 */
import { Context } from '@temporalio/activity';
import { WithStartWorkflowOperation, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure, CancelledFailure, type SignalDefinition, type UpdateDefinition } from '@temporalio/common';
import {
  acquireUpdate,
  admitManyUpdate,
  admitUpdate,
  commitBatchSignal,
  commitManyUpdate,
  commitSignal,
  ledgerWorkflowId,
  releaseSignal,
  reserveUpdate,
  type AcquireInput,
  type AcquireResult,
  type AdmitInput,
  type AdmitResult,
  type CommitInput,
  type ReserveInput,
  type ReserveResult,
  type UserLedgerInput,
} from '../../agents/ledger';
import type { userLedgerWorkflow } from '../../workflows';
import type { LedgerClient } from './types';

/** Items one batch message carries at most (the ledger's checks allow 500). */
const maxBatch = 200;

/**
 * Per ledger in this process: admissions and commits waiting while one message of their kind is in flight. One
 * ledger message of each kind in flight per worker keeps a user with many runs far under Temporal's 10 updates in
 * flight per workflow, and what queued meanwhile goes in one message: one ledger workflow task for many calls.
 */
const queuesByClient = new WeakMap<Client, Map<string, LedgerQueues>>();

interface LedgerQueues {
  admissions: Batcher<Admission, AdmissionAnswer>;
  commits: Batcher<CommitInput, void>;
}

type Admission =
  | { kind: 'acquire'; input: AcquireInput }
  | { kind: 'reserve'; input: ReserveInput }
  | { kind: 'admit'; input: AdmitInput };
type AdmissionAnswer = AcquireResult | ReserveResult | AdmitResult;

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
    client.workflow.executeUpdateWithStart(def, {
      args: [input],
      startWorkflowOperation: new WithStartWorkflowOperation<typeof userLedgerWorkflow>('userLedgerWorkflow', {
        ...start(user),
        workflowIdConflictPolicy: 'USE_EXISTING',
      }),
    });
  // Returns once the server has written the signal to the ledger's history.
  const signal = async <Arg>(def: SignalDefinition<[Arg]>, user: string, input: Arg): Promise<void> => {
    await client.workflow.signalWithStart<typeof userLedgerWorkflow, [Arg]>('userLedgerWorkflow', {
      ...start(user),
      signal: def,
      signalArgs: [input],
    });
  };
  const admitOne = (user: string, a: Admission): Promise<AdmissionAnswer> =>
    a.kind === 'acquire'
      ? update(acquireUpdate, user, a.input)
      : a.kind === 'reserve'
        ? update(reserveUpdate, user, a.input)
        : update(admitUpdate, user, a.input);
  let queues = queuesByClient.get(client);
  if (!queues) queuesByClient.set(client, (queues = new Map()));
  const queuesOf = (user: string): LedgerQueues => {
    // Per task queue too: a ledger a call starts runs on that call's queue.
    const id = `${taskQueue}\n${user}`;
    let q = queues.get(id);
    if (!q) {
      const idle = () => {
        if (q!.admissions.idle && q!.commits.idle) queues!.delete(id);
      };
      q = {
        admissions: new Batcher<Admission, AdmissionAnswer>(
          async (items) => {
            if (items.length === 1) return [await admitOne(user, items[0])];
            const answers = await update(admitManyUpdate, user, { items: items.map(asAdmitInput) });
            return items.map((item, i) => (item.kind === 'admit' ? answers[i] : answers[i][item.kind]!));
          },
          (items) => Promise.all(items.map((item) => admitOne(user, item))),
          idle,
        ),
        commits: new Batcher<CommitInput, void>(
          async (items) => {
            if (items.length === 1) await signal(commitSignal, user, items[0]);
            else await update(commitManyUpdate, user, { items });
            return items.map(() => undefined);
          },
          (items) => Promise.all(items.map((item) => signal(commitSignal, user, item))),
          idle,
        ),
      };
      queues.set(id, q);
    }
    return q;
  };
  return {
    acquire: (user, input) =>
      untilCancelled(queuesOf(user).admissions.push({ kind: 'acquire', input })) as Promise<AcquireResult>,
    reserve: (user, input) =>
      untilCancelled(queuesOf(user).admissions.push({ kind: 'reserve', input })) as Promise<ReserveResult>,
    admit: (user, input) =>
      untilCancelled(queuesOf(user).admissions.push({ kind: 'admit', input })) as Promise<AdmitResult>,
    release: (user, input) => signal(releaseSignal, user, input),
    commit: (user, input) => queuesOf(user).commits.push(input),
    commitAll: (user, inputs) =>
      inputs.length === 1 ? signal(commitSignal, user, inputs[0]) : signal(commitBatchSignal, user, { items: inputs }),
  };
}

function asAdmitInput(a: Admission): AdmitInput {
  return a.kind === 'admit' ? a.input : a.kind === 'acquire' ? { acquire: a.input } : { reserve: a.input };
}

/**
 * Sends what is queued, one message at a time: items pushed while a message is in flight go in the next one.
 * Each pusher gets its own item's answer, or the message's error. When the ledger does not know the batch message
 * (a ledger run by a worker of an older version), the items go one by one.
 */
class Batcher<Item, Answer> {
  private readonly queued: { item: Item; resolve: (a: Answer) => void; reject: (e: unknown) => void }[] = [];
  private inFlight = false;

  constructor(
    private readonly send: (items: Item[]) => Promise<Answer[]>,
    private readonly sendEach: (items: Item[]) => Promise<Answer[]>,
    private readonly onIdle: () => void,
  ) {}

  get idle(): boolean {
    return !this.inFlight && this.queued.length === 0;
  }

  push(item: Item): Promise<Answer> {
    return new Promise<Answer>((resolve, reject) => {
      this.queued.push({ item, resolve, reject });
      this.flush();
    });
  }

  private flush(): void {
    if (this.inFlight) return;
    if (this.queued.length === 0) return this.onIdle();
    const batch = this.queued.splice(0, maxBatch);
    const items = batch.map((b) => b.item);
    this.inFlight = true;
    this.send(items)
      .catch((err) => (isUnknownUpdate(err) ? this.sendEach(items) : Promise.reject(err)))
      .then(
        (answers) => batch.forEach((b, i) => b.resolve(answers[i])),
        (err) => batch.forEach((b) => b.reject(err)),
      )
      .finally(() => {
        this.inFlight = false;
        this.flush();
      });
  }
}

/** The SDK refuses an update the workflow has no handler for with a `ReferenceError`. */
function isUnknownUpdate(err: unknown): boolean {
  const cause = err instanceof WorkflowUpdateFailedError ? err.cause : undefined;
  return cause instanceof ApplicationFailure && /no registered handler for update/i.test(cause.message);
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
