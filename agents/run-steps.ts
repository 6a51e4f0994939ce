/**
 * A run's conversation cut into its steps: the opening messages, then per step the assistant message and what
 * followed it (its tool results, a structured-output repair request). What `fork` and `history` read.
 *
 * Pure and zod-free.
 */
import type { AssistantMessage, ChatMessage } from './conversation';

export interface ConversationStep {
  /** 1, 2, 3, ... */
  step: number;
  /** The model's reply of this step. */
  reply: AssistantMessage;
  /** Tool results of the reply's calls and a repair request, in conversation order. */
  followUps: ChatMessage[];
}

export interface SteppedConversation {
  opening: ChatMessage[];
  steps: ConversationStep[];
}

/** Splits `messages` after the `openingCount` opening messages (the run's recorded `spec.messages`). */
export function conversationSteps(messages: ChatMessage[], openingCount: number): SteppedConversation {
  const opening = messages.slice(0, openingCount);
  const steps: ConversationStep[] = [];
  for (const message of messages.slice(openingCount)) {
    if (message.role === 'assistant') steps.push({ step: steps.length + 1, reply: message, followUps: [] });
    // Only the loop appends after the opening, and each step starts with the model's reply.
    else steps[steps.length - 1]?.followUps.push(message);
  }
  return { opening, steps };
}

/** The conversation as it was after step `step` (0: the opening messages alone). */
export function conversationThrough(stepped: SteppedConversation, step: number): ChatMessage[] {
  return [...stepped.opening, ...stepped.steps.slice(0, step).flatMap((s) => [s.reply, ...s.followUps])];
}

/** Structured-output repairs asked for in the first `step` steps (a run allows one). */
export function repairsThrough(stepped: SteppedConversation, step: number): number {
  return stepped.steps.slice(0, step).reduce((n, s) => n + s.followUps.filter((m) => m.role === 'user').length, 0);
}
