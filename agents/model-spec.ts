/**
 * Model specs: `provider:model[?key=value&...]`, e.g. `openai:gpt-4o-mini`, `scripted:auto?delayMs=200`.
 *
 * Pure parsing, shared by client (validation before start), workflows and activities (model construction).
 * Workflow-safe (no zod); `modelSpecSchema` is in `model-spec-schema.ts`.
 */

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

const specPattern = /^([a-z]+):([A-Za-z0-9._\-/:]+?)(?:\?([A-Za-z0-9_=&.-]*))?$/;

/** Parses a spec string, or says what is wrong with it. */
export function parseModelSpec(spec: string): ModelSpec | { error: string } {
  const match = spec.length <= 200 ? specPattern.exec(spec) : null;
  if (!match)
    return { error: `model spec "${spec.slice(0, 200)}" is not of the form provider:model (e.g. openai:gpt-4o-mini)` };
  const [, provider, model, query] = match;
  if (!(modelProviders as readonly string[]).includes(provider)) {
    return { error: `unknown model provider "${provider}"; use one of ${modelProviders.join(', ')}` };
  }
  const params: Record<string, string> = {};
  for (const pair of (query ?? '').split('&').filter(Boolean)) {
    const [key, value = ''] = pair.split('=');
    params[key] = value;
  }
  return { provider: provider as ModelProvider, model, params, spec };
}
