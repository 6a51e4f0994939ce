/**
 * After the provider answered, the quota middleware's commit is tried again while it fails (Temporal briefly
 * unreachable) instead of failing the attempt, whose retry would make the paid call again
 * (tests/whole-stack.test.ts shows it on the real stack). It gives up only when the call is aborted.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { commitPersistently } from '../activities/middleware/quota';

test('a failing commit is tried again until it succeeds', async () => {
  let calls = 0;
  await commitPersistently(async () => {
    if (++calls < 3) throw new Error('14 UNAVAILABLE: frontend down');
  });
  assert.equal(calls, 3);
});

test('an aborted call stops retrying and fails with the last error', async () => {
  const abort = new AbortController();
  let calls = 0;
  const done = commitPersistently(async () => {
    calls++;
    throw new Error('14 UNAVAILABLE: frontend down');
  }, abort.signal);
  await new Promise((r) => setTimeout(r, 50));
  abort.abort();
  await assert.rejects(done, /UNAVAILABLE/);
  assert.equal(calls, 2, 'one attempt before the wait, one after the abort ended it');
});
