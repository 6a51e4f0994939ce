/**
 * The tool catalog: names, descriptions and argument schemas of built-in tools.
 *
 * Shared so the client can reject unknown tools before a run starts; implementations live in `activities/tools/`.
 */
import { z } from 'zod';

export interface ToolSpec<A extends z.ZodType = z.ZodType> {
  name: string;
  description: string;
  schema: A;
}

export const calculatorSpec = {
  name: 'calculator',
  description:
    'Evaluates an arithmetic expression with + - * / % ^, parentheses, decimals and the functions sqrt, abs, round, floor, ceil, min, max. Returns the number.',
  schema: z.object({ expression: z.string().min(1).max(500).describe('Arithmetic expression, e.g. "(2 + 3) * 4"') }),
} satisfies ToolSpec;

export const currentTimeSpec = {
  name: 'current_time',
  description: 'Returns the current date and time in ISO 8601 (UTC).',
  schema: z.object({}),
} satisfies ToolSpec;

export const wordCountSpec = {
  name: 'word_count',
  description: 'Counts the words and characters of a text.',
  schema: z.object({ text: z.string().max(100_000) }),
} satisfies ToolSpec;

export const toolSpecs: Record<string, ToolSpec> = {
  [calculatorSpec.name]: calculatorSpec,
  [currentTimeSpec.name]: currentTimeSpec,
  [wordCountSpec.name]: wordCountSpec,
};

export const toolNames = Object.keys(toolSpecs);

/** Names in `names` that are not in the catalog. */
export function unknownTools(names: readonly string[]): string[] {
  return names.filter((name) => !(name in toolSpecs));
}
