/** Model provider settings from the environment, validated with zod. Keys stay in the worker process only. */
import { z } from 'zod';
import { describeZodError } from '../../agents/errors';

const optionalUrl = z
  .string()
  .url()
  .optional()
  .or(z.literal('').transform(() => undefined));

export const providerEnvSchema = z.object({
  OPENAI_API_KEY: z.string().optional(),
  OPENAI_BASE_URL: optionalUrl,
  ANTHROPIC_API_KEY: z.string().optional(),
  ANTHROPIC_BASE_URL: optionalUrl,
  OLLAMA_BASE_URL: optionalUrl,
});
export type ProviderEnv = z.infer<typeof providerEnvSchema>;

/** Throws with the variable names at fault; called once at worker start. */
export function loadProviderEnv(env: NodeJS.ProcessEnv = process.env): ProviderEnv {
  const parsed = providerEnvSchema.safeParse(env);
  if (!parsed.success) throw new Error(`Invalid model provider settings: ${describeZodError(parsed.error)}`);
  return parsed.data;
}
