/** Pure rules behind the operator console: how approval rules merge, and how activity summaries read. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mergeApprovals } from '../../agents/approval';
import { parsePolicy, resolveUserPolicy } from '../../activities/middleware/policy';
import { modelCallSummary, toolCallSummary } from '../../workflows/activity-summaries';

test('approval rules merge: union of tools, shortest timeout, approve on timeout only if every rule says so', () => {
  assert.equal(mergeApprovals(undefined, undefined), undefined);
  const one = { tools: ['calculator'], timeoutSeconds: 30, onTimeout: 'approve' as const };
  assert.deepEqual(mergeApprovals(undefined, one), one, 'a single rule is kept as it is');
  assert.deepEqual(mergeApprovals({ tools: ['send_*', 'calculator'] }, { tools: ['calculator', 'word_count'] }), {
    tools: ['send_*', 'calculator', 'word_count'],
  });
  assert.deepEqual(
    mergeApprovals(
      { tools: ['a'], timeoutSeconds: 60, onTimeout: 'approve' },
      { tools: ['b'], timeoutSeconds: 10, onTimeout: 'approve' },
    ),
    { tools: ['a', 'b'], timeoutSeconds: 10, onTimeout: 'approve' },
  );
  // A rule that waits for a person (no timeout, or onTimeout left out) never lets another rule's timeout approve.
  assert.deepEqual(mergeApprovals({ tools: ['a'] }, { tools: ['b'], timeoutSeconds: 5, onTimeout: 'approve' }), {
    tools: ['a', 'b'],
    timeoutSeconds: 5,
    onTimeout: 'reject',
  });
});

test("a user's approval rule is the merge of their roles'", () => {
  const policy = parsePolicy(
    JSON.stringify({
      roles: {
        ops: { approval: { tools: ['send_*'] } },
        finance: { approval: { tools: ['pay'], timeoutSeconds: 600 } },
        plain: {},
      },
      users: { ann: ['ops', 'finance'], bob: ['plain'] },
    }),
    'policy.json',
  );
  assert.deepEqual(resolveUserPolicy(policy, 'ann').approval, {
    tools: ['send_*', 'pay'],
    timeoutSeconds: 600,
    onTimeout: 'reject',
  });
  assert.equal(resolveUserPolicy(policy, 'bob').approval, undefined);
});

test('activity summaries: step and model for a model call, tool and clipped arguments for a tool call', () => {
  assert.equal(modelCallSummary(3, 'openai:gpt-4o-mini'), 'step 3 · openai:gpt-4o-mini');
  assert.equal(modelCallSummary(1, 'scripted:auto?parallel=1&delayMs=5'), 'step 1 · scripted:auto');
  assert.equal(toolCallSummary('calculator', { expression: '2*2' }), 'calculator(2*2)');
  assert.equal(toolCallSummary('current_time', {}), 'current_time()');
  assert.equal(toolCallSummary('search', { q: 'x', n: 3 }), 'search({"q":"x","n":3})');
  const long = toolCallSummary('word_count', { text: 'a\n'.repeat(100) });
  assert.equal(long, `word_count(${'a '.repeat(30).slice(0, 59)}…)`);
  assert.equal(long.length, 'word_count()'.length + 60);
});
