/** The `callTool` activity: runs one tool call; tool errors go back to the model as tool messages. */
import { ToolMessage } from '@langchain/core/messages';
import { Context } from '@temporalio/activity';
import { z } from 'zod';
import { parseOrFail } from '../agents/errors';
import type { CallMiddleware } from './call-middleware';
import { startHeartbeats } from './heartbeats';
import type { ToolCallRequest } from './middleware/types';
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

export function createCallTool(calls: CallMiddleware) {
  return async function callTool(raw: CallToolInput): Promise<CallToolResult> {
    const input = parseOrFail(callToolInputSchema, raw, 'callTool input');
    // Auth and logging wrap the call (activities/middleware); a denied tool answers with an error message.
    const { context, toggles } = calls.context({
      kind: 'tool',
      step: input.step,
      user: input.user,
      template: input.template,
      tool: input.name,
      callKey: `${Context.current().info.workflowExecution?.workflowId}#${input.step}#${input.toolCallId}`,
    });
    // A tool may run long: heartbeats let a crashed worker's call be retried within the heartbeat timeout.
    const stopHeartbeats = startHeartbeats(Context.current(), { tool: input.name });
    let message: ToolMessage;
    try {
      message = await calls.pipeline.toolCall(runTool, toggles)({
        toolCall: { id: input.toolCallId, name: input.name, args: input.args, type: 'tool_call' },
        tool: input.allowed.includes(input.name) ? builtinTools[input.name] : undefined,
        state: { messages: [], allowedTools: input.allowed },
        runtime: { context, signal: Context.current().cancellationSignal },
        context,
      });
    } finally {
      stopHeartbeats();
    }
    const content = typeof message.content === 'string' ? message.content : JSON.stringify(message.content);
    return { content: content.slice(0, maxToolOutputChars), isError: message.status === 'error' };
  };
}

/** The innermost handler: the tool itself. Bad arguments or a failing computation go back to the model. */
async function runTool(request: ToolCallRequest): Promise<ToolMessage> {
  const { toolCall, tool, context, state } = request;
  const reply = (content: string, status: 'success' | 'error') => new ToolMessage({ content, tool_call_id: toolCall.id, name: toolCall.name, status });
  if (!tool) {
    const allowed = (state.allowedTools as string[] | undefined) ?? [];
    return reply(`Error: tool "${toolCall.name}" is not available; available: ${allowed.join(', ') || 'none'}`, 'error');
  }
  const started = performance.now();
  try {
    const output = await tool.invoke(toolCall.args);
    return reply(typeof output === 'string' ? output : JSON.stringify(output), 'success');
  } catch (err) {
    return reply(`Error: ${err instanceof Error ? err.message : String(err)}`, 'error');
  } finally {
    context.timings.handlerMs = performance.now() - started;
  }
}
