/** The `callTool` activity: runs one tool call; tool errors go back to the model as tool messages. */
import { z } from 'zod';
import { parseOrFail } from '../agents/errors';
import { builtinTools } from './tools/registry';

export const callToolInputSchema = z.object({
  step: z.number().int().nonnegative(),
  toolCallId: z.string().min(1),
  name: z.string().min(1).max(100),
  args: z.record(z.string(), z.unknown()),
  /** Tools this run may call. */
  allowed: z.array(z.string()),
  user: z.string(),
  template: z.string(),
});
export type CallToolInput = z.infer<typeof callToolInputSchema>;

export interface CallToolResult {
  content: string;
  isError: boolean;
}

/** Tool output longer than this is cut, so one tool cannot flood history. */
export const maxToolOutputChars = 100_000;

export function createCallTool() {
  return async function callTool(raw: CallToolInput): Promise<CallToolResult> {
    const input = parseOrFail(callToolInputSchema, raw, 'callTool input');
    const tool = input.allowed.includes(input.name) ? builtinTools[input.name] : undefined;
    if (!tool) return { content: `Error: tool "${input.name}" is not available; available: ${input.allowed.join(', ') || 'none'}`, isError: true };
    try {
      const output = await tool.invoke(input.args);
      const content = typeof output === 'string' ? output : JSON.stringify(output);
      return { content: content.slice(0, maxToolOutputChars), isError: false };
    } catch (err) {
      // Bad arguments or a failing computation: the model should see it and try something else.
      return { content: `Error: ${err instanceof Error ? err.message : String(err)}`, isError: true };
    }
  };
}
