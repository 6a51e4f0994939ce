/** The activities an agent loop calls, with their timeouts and retries. */
import {
  proxyActivities,
  proxyLocalActivities,
  type ActivityInterfaceFor,
  type LocalActivityInterfaceFor,
} from '@temporalio/workflow';
import type { AgentActivities } from '../activities';
import { retryPolicy } from './retry-policy';

/** The proxied activities: each can also be called with per-call options (`executeWithOptions`, e.g. a summary). */
export type AgentActivityCalls = ActivityInterfaceFor<AgentActivities>;

/** Model calls: up to 10 attempts within `modelTimeoutSeconds` each; tool calls: up to 3 within 60 s each. Both heartbeat. */
export function agentActivities(modelTimeoutSeconds: number): Pick<AgentActivityCalls, 'invokeModel' | 'callTool'> {
  // proxyActivities returns a Proxy: pick functions off it, never spread it.
  const { invokeModel } = proxyActivities<AgentActivities>({
    startToCloseTimeout: `${modelTimeoutSeconds}s`,
    heartbeatTimeout: '10s',
    retry: retryPolicy(10),
  });
  return { invokeModel, callTool: callToolOn() };
}

/**
 * The tool-call activity of tools recorded as `local`: run by the worker that runs the workflow, inside its
 * workflow task, so a tool step costs no activity task and no extra workflow task. No heartbeats (a local activity
 * lives within the workflow task, which the SDK keeps alive); the same attempts and timeout as remote tool calls.
 */
export function callToolLocally(): LocalActivityInterfaceFor<AgentActivities>['callTool'] {
  return proxyLocalActivities<AgentActivities>({
    startToCloseTimeout: '60s',
    retry: retryPolicy(3),
  }).callTool;
}

/**
 * Sends the usage commits a run carries to its user's ledger before it parks or ends: an activity task (it runs
 * only when a run parks or ends otherwise than by answering, so its round trip is rare, and it works on a worker
 * without a workflow cache, which Temporal's local activities do not); retried for minutes (the ledger may be
 * briefly unreachable), then the run keeps carrying them.
 */
export function commitUsageActivity(): AgentActivityCalls['commitUsage'] {
  return proxyActivities<AgentActivities>(usageCommitOptions()).commitUsage;
}

/** The same as a local activity: what runs recorded before patch `usage-commit-activity` replay. */
export function commitUsageLocally(): LocalActivityInterfaceFor<AgentActivities>['commitUsage'] {
  return proxyLocalActivities<AgentActivities>(usageCommitOptions()).commitUsage;
}

function usageCommitOptions() {
  return { startToCloseTimeout: '30s', retry: retryPolicy(10), summary: 'usage to the ledger' } as const;
}

/** The tool-call activity, on `taskQueue` (a tool's own worker pool) or the run's own queue when absent. */
export function callToolOn(taskQueue?: string): AgentActivityCalls['callTool'] {
  return proxyActivities<AgentActivities>({
    startToCloseTimeout: '60s',
    heartbeatTimeout: '10s',
    retry: retryPolicy(3),
    ...(taskQueue ? { taskQueue } : {}),
  }).callTool;
}
