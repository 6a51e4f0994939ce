/** The runs of one workflow id (a continue-as-new chain), with the size of each run's history. */
import type { Client } from '@temporalio/client';

export interface ChainRun {
  runId: string;
  /** Events in this run's history. */
  events: number;
  /** Bytes of this run's history, as the server counts them. */
  bytes: number;
  status: string;
}

/** Oldest first. Waits (visibility is eventually consistent) until at least `expectedRuns` runs are listed. */
export async function historyChain(
  client: Client,
  workflowId: string,
  expectedRuns = 1,
  timeoutMs = 30_000,
): Promise<ChainRun[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const runs: { runId: string; start: number }[] = [];
    for await (const execution of client.workflow.list({ query: `WorkflowId = '${workflowId}'` }))
      runs.push({ runId: execution.runId, start: execution.startTime.getTime() });
    if (runs.length >= expectedRuns || Date.now() > deadline) {
      runs.sort((a, b) => a.start - b.start);
      return Promise.all(
        runs.map(async ({ runId }) => {
          const { raw, status } = await client.workflow.getHandle(workflowId, runId).describe();
          const info = raw.workflowExecutionInfo!;
          return {
            runId,
            events: Number(info.historyLength),
            bytes: Number(info.historySizeBytes),
            status: status.name,
          };
        }),
      );
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

export function chainFigures(chain: ChainRun[]): string {
  const kb = (n: number) => `${(n / 1024).toFixed(0)} KB`;
  const maxEvents = Math.max(...chain.map((r) => r.events));
  const maxBytes = Math.max(...chain.map((r) => r.bytes));
  return `${chain.length} run(s), ${chain.length - 1} continue-as-new; events per run ${chain.map((r) => r.events).join(' ')} (max ${maxEvents}); max history ${kb(maxBytes)}, total ${kb(chain.reduce((n, r) => n + r.bytes, 0))}`;
}
