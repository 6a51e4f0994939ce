/**
 * The model of a run or session started without one: configured, never a stand-in. From the `defaultModel`
 * option, else AGENT_DEFAULT_MODEL; with neither, leaving out the model is an `InvalidInput` error.
 */
import { AgentError, describeZodError, ErrorType } from '../agents/errors';
import { modelSpecSchema } from '../agents/model-spec-schema';

/** Where the default came from, for messages. */
interface DefaultModel {
  spec?: string;
  source: string;
}

/** The configured default: `given` (a library option), else AGENT_DEFAULT_MODEL from `env`. Not checked yet. */
export function defaultModelFrom(given: string | undefined, env: NodeJS.ProcessEnv = process.env): DefaultModel {
  if (given !== undefined) return { spec: given, source: 'the defaultModel option' };
  const fromEnv = env.AGENT_DEFAULT_MODEL?.trim();
  return { spec: fromEnv || undefined, source: 'AGENT_DEFAULT_MODEL' };
}

/**
 * `model` if given, else the configured default after checking it is a model spec. Throws `InvalidInput` saying
 * what to set when there is none or it is malformed (a bad `model` itself is left to the caller: `UnknownModel`).
 */
export function modelOrDefault(model: string | undefined, fallback: DefaultModel): string {
  if (model !== undefined) return model;
  if (fallback.spec === undefined) {
    throw new AgentError(
      ErrorType.InvalidInput,
      'No model given and no default configured: pass a model (agentctl: --model), or set AGENT_DEFAULT_MODEL ' +
        '(library: the defaultModel option), e.g. openai:gpt-4o-mini',
    );
  }
  const parsed = modelSpecSchema.safeParse(fallback.spec);
  if (!parsed.success)
    throw new AgentError(
      ErrorType.InvalidInput,
      `${fallback.source} "${fallback.spec}" is not a model spec: ${describeZodError(parsed.error)}`,
    );
  return fallback.spec;
}
