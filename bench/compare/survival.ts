/**
 * What each survives: SIGKILL the process running a run while its second model call is in flight, start it again,
 * and count the stub's requests for that run. Temporal continues from its history (a new worker takes the
 * activity after its heartbeat timeout); LangGraph.js continues when the restarted process invokes the thread again
 * (`invoke(null, { thread_id })`) from its last SQLite checkpoint.
 */
import type { LoggedRequest } from '../../llm-stub';
import { uniqueTaskQueue } from '../../testing/environment';
import { sigkillWorker } from '../../testing/processes';
import { checkpointFile, langGraphProcess } from './langgraph-process';
import { sleep } from './pool';
import type { Side } from './sides';
import type { StubProcess } from './stub';

export interface SurvivalResult {
  /** The run finished with the job's answer after the kill and restart. */
  finished: boolean;
  /** Model requests of the run, as the conversation length each was sent with (2 = first call). */
  requests: number[];
  /** Model calls that had returned before the kill and were made again (0 = continued from the checkpoint). */
  finishedCallsRepeated: number;
  note?: string;
}

/** The second model request of `run` is held 30 s, so the kill lands while it is in flight. */
async function holdSecondCall(stub: StubProcess, run: string): Promise<void> {
  await stub.addFaults([
    { kind: 'delay', ms: 0, match: { run } },
    { kind: 'delay', ms: 30_000, match: { run } },
  ]);
}

async function untilRequests(stub: StubProcess, run: string, n: number, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await stub.requests(run)).length < n) {
    if (Date.now() > deadline) throw new Error(`run ${run} did not reach model request ${n}`);
    await sleep(100);
  }
}

function summarize(requests: LoggedRequest[], finished: boolean, killedAtCall: number, note?: string): SurvivalResult {
  const sizes = requests.map((r) => r.messageCount ?? -1);
  // Calls before the one in flight at the kill: each should have been sent exactly once.
  const finishedSizes = sizes.slice(0, killedAtCall - 1);
  const finishedCallsRepeated = finishedSizes.reduce((n, size) => n + sizes.filter((s) => s === size).length - 1, 0);
  return { finished, requests: sizes, finishedCallsRepeated, ...(note ? { note } : {}) };
}

export async function oursSurvival(side: Side, stub: StubProcess, rounds: number): Promise<SurvivalResult> {
  const taskQueue = uniqueTaskQueue('ours-kill');
  const run = `${taskQueue}-run`;
  await holdSecondCall(stub, run);
  const first = await side.startWorker(taskQueue);
  let finished = false;
  let note: string | undefined;
  try {
    const done = side.run(taskQueue, run, `${taskQueue}-user`, rounds).then(
      () => (finished = true),
      (err: Error) => (note = err.message),
    );
    await untilRequests(stub, run, 2);
    await sigkillWorker(first);
    const second = await side.startWorker(taskQueue);
    try {
      await done;
    } finally {
      await sigkillWorker(second);
    }
  } finally {
    await sigkillWorker(first);
  }
  return summarize(await stub.requests(run), finished, 2, note);
}

export async function langGraphSurvival(stub: StubProcess, rounds: number): Promise<SurvivalResult> {
  const thread = uniqueTaskQueue('lg-kill');
  const env = {
    LG_STUB_URL: stub.url,
    LG_CHECKPOINT: checkpointFile('lg-kill'),
    LG_ROUNDS: String(rounds),
    LG_THREAD: thread,
  };
  await holdSecondCall(stub, thread);
  const first = langGraphProcess('start', env);
  try {
    await untilRequests(stub, thread, 2);
  } finally {
    first.child.kill('SIGKILL');
    await first.exited;
  }
  const second = langGraphProcess('resume', env);
  const code = await second.exited;
  const answer = second.result<{ answer?: string }>()?.answer ?? '';
  const finished = code === 0 && answer.includes(`Done after ${rounds} tool calls`);
  return summarize(await stub.requests(thread), finished, 2, finished ? undefined : second.output().slice(-300));
}
