/**
 * activities/: every side effect of an agent run (model calls, tool calls), run by the worker.
 *
 * Workflows import only the types from here (`import type`) for `proxyActivities`.
 */
import { createCallTool } from './call-tool';
import { createInvokeModel, type InvokeModelDeps } from './invoke-model';

export type ActivitiesDeps = InvokeModelDeps;

export function createActivities(deps: ActivitiesDeps) {
  return {
    invokeModel: createInvokeModel(deps),
    callTool: createCallTool(),
  };
}

export type AgentActivities = ReturnType<typeof createActivities>;
export type { InvokeModelInput, InvokeModelResult } from './invoke-model';
export type { CallToolInput, CallToolResult } from './call-tool';
