/** `structured`: answers a prompt with JSON that must satisfy a caller-given JSON Schema (one repair attempt). */
import { z } from 'zod';
import { compileJsonSchema } from '../structured-output';
import { defineTemplate } from './template';

const systemPrompt =
  'You answer with JSON only: no prose, no code fences. The JSON must satisfy this JSON Schema:';

/** Marks the schema block in the system prompt so models (and our scripted model) can find it. */
export const schemaFence = '```json-schema';

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
    { role: 'system', content: `${systemPrompt}\n${schemaFence}\n${JSON.stringify(input.schema)}\n\`\`\`` },
    { role: 'user', content: input.prompt },
  ],
  outputSchema: (input) => input.schema,
});
