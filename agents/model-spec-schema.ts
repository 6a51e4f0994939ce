/** Zod schema of model specs (`model-spec.ts`), for boundaries outside workflow code. */
import { z } from 'zod';
import { parseModelSpec, type ModelSpec } from './model-spec';

/** Parses a spec string into a {@link ModelSpec}. */
export const modelSpecSchema = z
  .string()
  .max(200)
  .transform((spec, ctx): ModelSpec => {
    const parsed = parseModelSpec(spec);
    if ('error' in parsed) {
      ctx.addIssue({ code: 'custom', message: parsed.error });
      return z.NEVER;
    }
    return parsed;
  });
