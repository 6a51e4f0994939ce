/** The shape every agent template has: zod input schema, system prompt, defaults. */
import type { z } from 'zod';
import type { ChatMessage } from '../conversation';

export interface AgentTemplate<I = unknown> {
  /** Registry name, used in run inputs and search attributes. */
  name: string;
  description: string;
  /** Validates the run's template input; defaults are applied by the schema. */
  inputSchema: z.ZodType<I>;
  systemPrompt: string;
  /** Steps allowed when the input does not say. A step is one model call plus the tool calls it asks for. */
  defaultMaxSteps: number;
  /** Upper bound for a caller-given `maxSteps`. */
  maxStepsLimit: number;
  maxSteps(input: I): number;
  /** Tool names the model may call (checked against the catalog before the run starts). */
  tools(input: I): string[];
  /** System and user messages that open the conversation. */
  openingMessages(input: I): ChatMessage[];
  /** JSON Schema the final answer must satisfy, for templates with structured output. */
  outputSchema?(input: I): Record<string, unknown>;
}

/** Keeps the input type of a template literal while widening it for the registry. */
export function defineTemplate<I>(template: AgentTemplate<I>): AgentTemplate<I> {
  return template;
}
