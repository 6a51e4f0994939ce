/**
 * Workflow time. In the workflow sandbox `Date` is Temporal's deterministic clock: it reads the time of the
 * current workflow task, the same on every replay. Workflow code asks the time here, so that is said once.
 */

/** Now, in epoch milliseconds, as this workflow task sees it. */
export function workflowNow(): number {
  return new Date().getTime();
}

/** Now, as an ISO 8601 string. */
export function workflowNowIso(): string {
  return new Date(workflowNow()).toISOString();
}
