/**
 * Model specs: `provider:model[?key=value&...]`, e.g. `openai:gpt-4o-mini`, `scripted:auto?delayMs=200`.
 *
 * Pure parsing, shared by client (validation before start) and activities (model construction).
 */
import { z } from 'zod';

export const modelProviders = ['openai', 'anthropic', 'ollama', 'scripted'] as const;
export type ModelProvider = (typeof modelProviders)[number];

export interface ModelSpec {
  provider: ModelProvider;
  model: string;
  /** Provider-specific options from the query part; strings only. */
  params: Record<string, string>;
  /** The spec as given, for logs and labels. */
  spec: string;
}

const specPattern = /^([a-z]+):([A-Za-z0-9._\-/:]+?)(?:\?([A-Za-z0-9_=&.\-]*))?$/;

/** Zod schema that parses a spec string into a {@link ModelSpec}. */
export const modelSpecSchema = z
  .string()
  .max(200)
  .transform((spec, ctx): ModelSpec => {
    const match = specPattern.exec(spec);
    if (!match) {
      ctx.addIssue({ code: 'custom', message: `model spec "${spec}" is not of the form provider:model (e.g. openai:gpt-4o-mini)` });
      return z.NEVER;
    }
    const [, provider, model, query] = match;
    if (!(modelProviders as readonly string[]).includes(provider)) {
      ctx.addIssue({ code: 'custom', message: `unknown model provider "${provider}"; use one of ${modelProviders.join(', ')}` });
      return z.NEVER;
    }
    const params: Record<string, string> = {};
    for (const pair of (query ?? '').split('&').filter(Boolean)) {
      const [key, value = ''] = pair.split('=');
      params[key] = value;
    }
    return { provider: provider as ModelProvider, model, params, spec };
  });
