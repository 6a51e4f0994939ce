/**
 * activities/: every side effect of an agent run (model calls, tool calls), run by the worker.
 *
 * Workflows import only the types from here (`import type`) for `proxyActivities`.
 */
import { CallMiddleware, type MiddlewareDeps } from './call-middleware';
import { createCallTool, type CallToolOptions } from './call-tool';
import { createCommitUsage } from './commit-usage';
import { createInvokeModel, type InvokeModelDeps } from './invoke-model';
import { ToolRegistry } from './tools/tool-registry';

/** Provider settings, plus policy, prices, ledger and extra middleware for the calls' pipeline. */
export type ActivitiesDeps = InvokeModelDeps &
  MiddlewareDeps & {
    /** The tools `callTool` runs, by name. Default: the built-in tools only. */
    tools?: ToolRegistry;
    callTool?: CallToolOptions;
  };

export function createActivities(deps: ActivitiesDeps) {
  const calls = new CallMiddleware(deps);
  return {
    invokeModel: createInvokeModel(deps, calls),
    callTool: createCallTool(calls, deps.tools ?? new ToolRegistry(), deps.callTool),
    commitUsage: createCommitUsage(calls),
  };
}

export type AgentActivities = ReturnType<typeof createActivities>;
export type { InvokeModelInput, InvokeModelResult } from './invoke-model';
export type { CallToolInput, CallToolResult } from './call-tool';
export type { CommitUsageInput } from './commit-usage';
