/** The default workflow cache size: bounded by memory and by the V8 heap, never below 10. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  cachedWorkflowBudgetBytes,
  defaultMaxCachedWorkflows,
  workflowCacheMemoryShare,
} from '../../worker/workflow-cache';

const GiB = 1024 ** 3;

test('a small container caches only what a quarter of its memory holds', () => {
  const n = defaultMaxCachedWorkflows(2 * GiB, 4 * GiB);
  assert.equal(n, Math.floor((2 * GiB * workflowCacheMemoryShare) / cachedWorkflowBudgetBytes));
  assert.ok(n * cachedWorkflowBudgetBytes <= 2 * GiB * workflowCacheMemoryShare);
});

test('a large machine is still bounded by the heap a workflow thread may use', () => {
  const small = defaultMaxCachedWorkflows(256 * GiB, 1 * GiB);
  const large = defaultMaxCachedWorkflows(256 * GiB, 4 * GiB);
  assert.ok(small < large);
  assert.equal(large, Math.floor(((4096 - 200) * 600) / 1024));
});

test('never fewer than 10', () => {
  assert.equal(defaultMaxCachedWorkflows(16 * 1024 ** 2, 4 * GiB), 10);
});
