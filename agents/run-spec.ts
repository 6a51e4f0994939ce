/**
 * RunSpec: what a run was resolved to when it started (opening messages, tool definitions, limits, output schema).
 *
 * Workflow-safe: plain types and tiny pure helpers, no zod. The client builds a spec with `resolveRun`
 * (agents/run.ts) and starts the workflow with it; the workflow and its activities use only the recorded spec,
 * so changing or removing a template or a tool never changes a run in flight.
 */
import type { ChatMessage } from './conversation';

/** A tool as the model sees it, recorded in the spec at start. */
export interface ToolDefinition {
  name: string;
  description: string;
  /** JSON Schema of the tool's arguments. */
  parameters: Record<string, unknown>;
  /** Task queue whose workers run this tool; the run's own queue when absent. */
  taskQueue?: string;
  /**
   * A short tool (no I/O that may hang): called as a local activity, inside the workflow task of the worker that
   * runs the run, which saves the activity's round trips through the server. Recorded at start, so a run keeps it.
   */
  local?: boolean;
  /** Calling this tool starts the named template as a sub-agent (a child workflow); `spec.agents` holds it. */
  agent?: string;
  /** Calling this tool hands the conversation over to the named template; `spec.handoffs` holds it. */
  handoff?: string;
}

/**
 * A template as resolved at start, for a run this one may start (sub-agent) or hand over to (handoff): what the
 * workflow needs to build that run's spec without the catalog, so a run in flight never sees a changed template.
 */
export interface TemplateSpec {
  template: string;
  description: string;
  systemPrompt: string;
  tools: ToolDefinition[];
  maxSteps: number;
  /** JSON Schema of the template's input (default `{ task: string }`). */
  inputSchema?: Record<string, unknown>;
  outputSchema?: Record<string, unknown>;
  /** Templates this one may hand over to (keys of `RunSpec.handoffs`). */
  handoffs?: string[];
}

export interface RunSpec {
  /** Template name (search attributes, state, middleware). */
  template: string;
  /** Opening messages (system prompt and first user message), already rendered. */
  messages: ChatMessage[];
  /** What the model may call, with schemas as resolved at start. */
  tools: ToolDefinition[];
  /** Steps allowed; a step is one model call plus the tool calls it asks for. */
  maxSteps: number;
  /** JSON Schema the final answer must satisfy (structured output). */
  outputSchema?: Record<string, unknown>;
  /** Templates reachable as sub-agents (`agent:<name>` tools), transitively, resolved at start. */
  agents?: Record<string, TemplateSpec>;
  /** Templates reachable by handoff, transitively, resolved at start. */
  handoffs?: Record<string, TemplateSpec>;
}

/** Whether a tool name matches a name or glob (`*` matches any run of characters, e.g. `github_*`, `mcp:files/*`). */
export function matchesToolPattern(pattern: string, name: string): boolean {
  if (!pattern.includes('*')) return pattern === name;
  const parts = pattern.split('*');
  if (!name.startsWith(parts[0])) return false;
  let at = parts[0].length;
  for (let i = 1; i < parts.length - 1; i++) {
    const found = name.indexOf(parts[i], at);
    if (found < 0) return false;
    at = found + parts[i].length;
  }
  const last = parts[parts.length - 1];
  return name.length - last.length >= at && name.endsWith(last);
}

/** Tool names of a spec, in order. */
export function specToolNames(spec: RunSpec): string[] {
  return spec.tools.map((tool) => tool.name);
}
