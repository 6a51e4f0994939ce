/** A run's conversation cut into steps, as `fork` and `history` read it: replies, tool results, repair requests. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ChatMessage } from '../../agents/conversation';
import { conversationSteps, conversationThrough, repairsThrough } from '../../agents/run-steps';

const opening: ChatMessage[] = [
  { role: 'system', content: 'You are an agent.' },
  { role: 'user', content: 'Work.' },
];
const call = (id: string): ChatMessage => ({
  role: 'assistant',
  content: '',
  toolCalls: [{ id, name: 'calculator', args: { expression: '1+1' } }],
});
const result = (id: string): ChatMessage => ({ role: 'tool', toolCallId: id, name: 'calculator', content: '2' });
const conversation: ChatMessage[] = [
  ...opening,
  call('a'),
  result('a'),
  { role: 'assistant', content: '{"bad": ' },
  { role: 'user', content: 'Your answer did not satisfy the schema: ... Reply with only the corrected JSON.' },
  { role: 'assistant', content: '{"good": true}' },
];

test('each step is a reply and what followed it; the opening messages are no step', () => {
  const stepped = conversationSteps(conversation, opening.length);
  assert.deepEqual(stepped.opening, opening);
  assert.deepEqual(
    stepped.steps.map((s) => [s.step, s.reply.content, s.followUps.map((m) => m.role)]),
    [
      [1, '', ['tool']],
      [2, '{"bad": ', ['user']],
      [3, '{"good": true}', []],
    ],
  );
});

test('the conversation through a step, and the repairs it used', () => {
  const stepped = conversationSteps(conversation, opening.length);
  assert.deepEqual(conversationThrough(stepped, 0), opening);
  assert.deepEqual(conversationThrough(stepped, 1), conversation.slice(0, 4));
  assert.deepEqual(conversationThrough(stepped, 2), conversation.slice(0, 6));
  assert.deepEqual(conversationThrough(stepped, 3), conversation);
  assert.deepEqual(
    [0, 1, 2, 3].map((step) => repairsThrough(stepped, step)),
    [0, 0, 1, 1],
  );
});

test('a conversation of opening messages only has no steps', () => {
  assert.deepEqual(conversationSteps(opening, opening.length), { opening, steps: [] });
});
