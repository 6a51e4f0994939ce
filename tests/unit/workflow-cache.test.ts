/** The default workflow cache size: bounded by memory and by the V8 heap, never below 10. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  cachedWorkflowBudgetBytes,
  defaultMaxCachedWorkflows,
  workflowCacheMaxBytes,
  workflowCacheMemoryShare,
} from '../../worker/workflow-cache';

const GiB = 1024 ** 3;

test('a small container caches only what a quarter of its memory holds', () => {
  const n = defaultMaxCachedWorkflows(2 * GiB, 4 * GiB);
  assert.equal(n, Math.floor((2 * GiB * workflowCacheMemoryShare) / cachedWorkflowBudgetBytes));
  assert.ok(n * cachedWorkflowBudgetBytes <= 2 * GiB * workflowCacheMemoryShare);
});

test('a large machine is bounded by the heap a workflow thread may use, and by the cache cap', () => {
  const smallHeap = defaultMaxCachedWorkflows(256 * GiB, 1 * GiB);
  assert.equal(smallHeap, Math.floor(((1024 - 200) * 600) / 1024));
  const large = defaultMaxCachedWorkflows(256 * GiB, 4 * GiB);
  assert.ok(smallHeap < large);
  assert.equal(large, workflowCacheMaxBytes / cachedWorkflowBudgetBytes);
});

test('never fewer than 10', () => {
  assert.equal(defaultMaxCachedWorkflows(16 * 1024 ** 2, 4 * GiB), 10);
});
