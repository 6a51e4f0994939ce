/** `react`: the model chooses tools and loops until it answers or runs out of steps. */
import { z } from 'zod';
import { toolNames } from '../tool-specs';
import { reactDefaultMaxSteps, reactMaxStepsLimit, reactSystemPrompt as systemPrompt } from './prompts';
import { defineTemplate } from './template';

export { reactMaxStepsLimit };

export const reactTemplate = defineTemplate({
  name: 'react',
  description: 'Reasons and acts with tools until it has an answer or reaches maxSteps.',
  inputSchema: z
    .object({
      task: z.string().min(1).max(100_000),
      /** Tool names; all built-in tools when omitted. */
      tools: z.array(z.string().min(1).max(100)).max(50).optional(),
      maxSteps: z.number().int().min(1).max(reactMaxStepsLimit).optional(),
    })
    .strict(),
  systemPrompt,
  defaultMaxSteps: reactDefaultMaxSteps,
  maxStepsLimit: reactMaxStepsLimit,
  maxSteps: (input) => input.maxSteps ?? reactDefaultMaxSteps,
  tools: (input) => input.tools ?? toolNames,
  openingMessages: (input) => [
    { role: 'system', content: systemPrompt },
    { role: 'user', content: input.task },
  ],
});
