/** `chat`: one answer to one message, no tools. */
import { z } from 'zod';
import { chatSystemPrompt as systemPrompt } from './prompts';
import { defineTemplate } from './template';

export const chatTemplate = defineTemplate({
  name: 'chat',
  description: 'Answers a message; no tools.',
  inputSchema: z.object({ message: z.string().min(1).max(100_000) }).strict(),
  systemPrompt,
  defaultMaxSteps: 1,
  maxStepsLimit: 1,
  maxSteps: () => 1,
  tools: () => [],
  openingMessages: (input) => [
    { role: 'system', content: systemPrompt },
    { role: 'user', content: input.message },
  ],
});
