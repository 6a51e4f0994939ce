/** The `callTool` activity: runs one tool call; tool errors go back to the model as tool messages. */
import { ToolMessage } from '@langchain/core/messages';
import { Context } from '@temporalio/activity';
import { z } from 'zod';
import { agentFailure, ErrorType, parseOrFail } from '../agents/errors';
import type { CallMiddleware } from './call-middleware';
import { startHeartbeats } from './heartbeats';
import type { ToolCallRequest } from './middleware/types';
import { ToolUnavailableError } from './tools/mcp-connection';
import type { ToolRegistry } from './tools/tool-registry';

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

export interface CallToolOptions {
  /**
   * How long one attempt keeps trying a tool whose server cannot be reached (an MCP server restarting) before
   * failing with the retryable `ToolUnavailable`, in milliseconds. Default 20,000.
   */
  unavailableWaitMs?: number;
}

export function createCallTool(calls: CallMiddleware, registry: ToolRegistry, options: CallToolOptions = {}) {
  const runTool = createRunTool(options.unavailableWaitMs ?? 20_000);
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
      message = await calls.pipeline.toolCall(
        runTool,
        toggles,
      )({
        toolCall: { id: input.toolCallId, name: input.name, args: input.args, type: 'tool_call' },
        // The live tool of that name on this worker: built-in, your code or an MCP server's.
        tool: input.allowed.includes(input.name) ? registry.get(input.name)?.tool : undefined,
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

/**
 * The innermost handler: the tool itself. Bad arguments or a failing computation go back to the model; a server
 * that cannot be reached is waited for (heartbeats keep running), then fails the attempt as `ToolUnavailable`.
 */
function createRunTool(unavailableWaitMs: number) {
  return async function runTool(request: ToolCallRequest): Promise<ToolMessage> {
    const { toolCall, tool, context, state, runtime } = request;
    const reply = (content: string, status: 'success' | 'error') =>
      new ToolMessage({ content, tool_call_id: toolCall.id, name: toolCall.name, status });
    if (!tool) {
      const allowed = (state.allowedTools as string[] | undefined) ?? [];
      return reply(
        `Error: tool "${toolCall.name}" is not available; available: ${allowed.join(', ') || 'none'}`,
        'error',
      );
    }
    const started = performance.now();
    try {
      for (let delayMs = 250; ; delayMs = Math.min(delayMs * 2, 4000)) {
        try {
          const output = await tool.invoke(toolCall.args, { signal: runtime.signal });
          return reply(typeof output === 'string' ? output : JSON.stringify(output), 'success');
        } catch (err) {
          if (runtime.signal?.aborted) throw runtime.signal.reason ?? err;
          if (!(err instanceof ToolUnavailableError))
            return reply(`Error: ${err instanceof Error ? err.message : String(err)}`, 'error');
          if (performance.now() - started + delayMs > unavailableWaitMs || runtime.signal?.aborted) {
            throw agentFailure(ErrorType.ToolUnavailable, `${err.message}; the call is retried`);
          }
          await new Promise((resolve) => setTimeout(resolve, delayMs));
        }
      }
    } finally {
      context.timings.handlerMs = performance.now() - started;
    }
  };
}
