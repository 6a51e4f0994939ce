/**
 * The workflow types of an agent run. Clients start `agentRun`. `agentRunWorkflow`, its type until then, stays
 * registered for the runs it started: their histories replay only on its code, changes behind `patched()` included.
 * A new type lets a run take those changes as they are: no patch marker and no `TemporalChangeVersion` upsert per
 * run, no `AgentStatus` upsert when it completes (see `runStatusAttribute`). Workers that predate `agentRun` do not
 * know it: its tasks wait for a worker that does, so a rolling deploy needs no order.
 */
export const runWorkflowType = 'agentRun';
/** Runs started before `agentRun`, and by clients that name the type themselves. */
export const legacyRunWorkflowType = 'agentRunWorkflow';
/** A visibility clause that matches runs of either type. */
export const runWorkflowTypeClause = `WorkflowType IN ('${runWorkflowType}', '${legacyRunWorkflowType}')`;

/** Whether `workflowType` is an agent run (of either type). */
export function isRunWorkflowType(workflowType: string | undefined): boolean {
  return workflowType === runWorkflowType || workflowType === legacyRunWorkflowType;
}

/**
 * The `AgentStatus` search attribute of an `agentRun` in `status`: absent while it runs and once it completed, as
 * Temporal's own execution status says those; the status otherwise (paused, awaiting approval, stopped, failed,
 * cancelled). `agentRunWorkflow` runs set every status, `running` from their start.
 */
export function runStatusAttribute(status: string): string | null {
  return status === 'running' || status === 'completed' ? null : status;
}
