/** `structured`: answers a prompt with JSON that must satisfy a caller-given JSON Schema (one repair attempt). */
import { z } from 'zod';
import { compileJsonSchema } from '../structured-output-schema';
import { schemaFence, structuredSystemMessage, structuredSystemPrompt as systemPrompt } from './prompts';
import { defineTemplate } from './template';

export { schemaFence };

const jsonSchemaInput = z
  .record(z.string(), z.unknown())
  .refine((schema) => JSON.stringify(schema).length <= 50_000, 'schema is larger than 50,000 characters')
  .superRefine((schema, ctx) => {
    const compiled = compileJsonSchema(schema);
    if ('error' in compiled) ctx.addIssue({ code: 'custom', message: `not a usable JSON Schema: ${compiled.error}` });
  });

export const structuredTemplate = defineTemplate({
  name: 'structured',
  description: 'Answers with JSON validated against the given JSON Schema; repairs once on invalid output.',
  inputSchema: z.object({ prompt: z.string().min(1).max(100_000), schema: jsonSchemaInput }).strict(),
  systemPrompt,
  // One answer plus one repair attempt.
  defaultMaxSteps: 2,
  maxStepsLimit: 2,
  maxSteps: () => 2,
  tools: () => [],
  openingMessages: (input) => [
    { role: 'system', content: structuredSystemMessage(systemPrompt, input.schema) },
    { role: 'user', content: input.prompt },
  ],
  outputSchema: (input) => input.schema,
});
