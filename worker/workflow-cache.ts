/**
 * The default size of the worker's workflow cache, sized so cached workflows can never take the worker out of memory.
 *
 * Trade-off: a cached workflow answers its next task at once; an evicted one is replayed from its history first
 * (CPU and a little latency, never a failure). Parked runs (paused, waiting for a person) need no cache at all, so a
 * cache smaller than the number of runs costs only the replay when they resume.
 */
import { totalmem } from 'node:os';
import { getHeapStatistics } from 'node:v8';

const MiB = 1024 * 1024;

/**
 * Worker memory budgeted per cached workflow. A parked run measured 0.3 to 0.45 MB of RSS (300 to 10,000 runs on
 * one worker, see docs/benchmarks.md); a running one also holds its conversation in workflow state: 512 KiB.
 */
export const cachedWorkflowBudgetBytes = 512 * 1024;

/** Share of the process's memory the workflow cache may take; the rest is for activities, model clients and the SDK core. */
export const workflowCacheMemoryShare = 0.25;

/**
 * The most memory the cache takes by default, however large the machine: 1,024 workflows, twice the 500 runs one
 * worker's default slots keep busy at once. More would only keep parked runs (paused, awaiting a person) in memory,
 * which they do not need: an evicted run replays its history when it next has work. So 10,000 parked runs fit in
 * a worker of under 1 GB.
 */
export const workflowCacheMaxBytes = 512 * MiB;

/** Memory this process may use: the cgroup limit when there is one (containers), else the machine's. */
export function availableMemoryBytes(): number {
  const constrained = (process as { constrainedMemory?: () => number | undefined }).constrainedMemory?.();
  const total = totalmem();
  return constrained && constrained > 0 && constrained < total ? constrained : total;
}

/**
 * Cached workflows by default: the SDK's own default (bounded by the V8 heap a workflow thread may use), lowered so
 * `workflowCacheMemoryShare` of the available memory, and at most `workflowCacheMaxBytes`, holds them at
 * `cachedWorkflowBudgetBytes` each. At least 10.
 */
export function defaultMaxCachedWorkflows(
  memoryBytes = availableMemoryBytes(),
  heapLimitBytes = getHeapStatistics().heap_size_limit,
): number {
  // As @temporalio/worker computes its default with reused V8 contexts (its default).
  const sdkDefault = Math.floor((Math.max(heapLimitBytes / MiB - 200, 0) * 600) / 1024);
  const byMemory = Math.floor(
    Math.min(memoryBytes * workflowCacheMemoryShare, workflowCacheMaxBytes) / cachedWorkflowBudgetBytes,
  );
  return Math.max(10, Math.min(sdkDefault, byMemory));
}
