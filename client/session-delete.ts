/**
 * Deleting a session: every run of it is deleted with `DeleteWorkflowExecution` (continue-as-new leaves earlier
 * runs behind, each an execution of its own); the server terminates an open one first.
 *
 * Temporal deletes in the background. An open session is gone at once; for a closed one the server first makes
 * sure the workflow's close tasks were processed, which takes 10-30 s on a default server. Until then it reads as
 * a closed session (messages get `SessionClosed`), then as `NotFound`.
 */
import type { Client } from '@temporalio/client';
import { AgentError, ErrorType } from '../agents/errors';
import { agentKindKey } from '../agents/search-attributes';
import { isNotFound } from './errors';
import { toSessionError } from './session-handle';

export interface DeleteOptions {
  /** Wait until Temporal has finished deleting (history and visibility). Default false. */
  wait?: boolean;
  /** Longest wait, in milliseconds. Default 60,000. */
  timeoutMs?: number;
}

/** `sessionId` must already be validated (it is quoted into a visibility query). */
export async function deleteSession(client: Client, sessionId: string, options: DeleteOptions = {}): Promise<void> {
  const workflow = client.workflow.getHandle(sessionId);
  let latest: string;
  try {
    const description = await workflow.describe();
    if (description.typedSearchAttributes.get(agentKindKey) !== 'session')
      throw new AgentError(ErrorType.NotFound, `${sessionId} is not a session`);
    latest = description.runId;
  } catch (err) {
    throw toSessionError(err, sessionId);
  }
  const runIds = new Set([latest]);
  for await (const execution of client.workflow.list({ query: `WorkflowId = '${sessionId}'` }))
    runIds.add(execution.runId);
  for (const runId of runIds) {
    try {
      await client.workflowService.deleteWorkflowExecution({
        namespace: client.options.namespace,
        workflowExecution: { workflowId: sessionId, runId },
      });
    } catch (err) {
      // Already gone (deleted meanwhile, or by an earlier call): nothing left to do for that run.
      if (!isNotFound(err)) throw toSessionError(err, sessionId);
    }
  }
  if (options.wait) await waitUntilDeleted(client, sessionId, options.timeoutMs ?? 60_000);
}

async function waitUntilDeleted(client: Client, sessionId: string, timeoutMs: number): Promise<void> {
  const workflow = client.workflow.getHandle(sessionId);
  for (const deadline = Date.now() + timeoutMs; ; await new Promise((r) => setTimeout(r, 250))) {
    const described = await workflow.describe().then(
      () => true,
      () => false,
    );
    if (!described && (await client.workflow.count(`WorkflowId = '${sessionId}'`)).count === 0) return;
    if (Date.now() > deadline) {
      throw new AgentError(
        ErrorType.RunFailed,
        `Session ${sessionId} is still being deleted after ${timeoutMs} ms; Temporal deletes in the background, check again later`,
      );
    }
  }
}
