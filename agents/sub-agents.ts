/**
 * Sub-agents: templates a run offers its model as tools (`agent:<template>` in a template's tools); calling one
 * starts that template as a child run. Plain types and pure helpers shared by the client (resolution at start)
 * and the workflow (child specs, the run-time guard).
 *
 * Workflow-safe: no zod, no I/O.
 */
import { any, arr, num, obj, optional, record, str, type Check } from './checks';
import type { Usage } from './conversation';
import { ErrorType } from './errors';
import type { RunSpec, TemplateSpec } from './run-spec';
import { structuredSystemMessage } from './templates/prompts';

/** Prefix of a template's tool pattern that names a sub-agent: `agent:researcher`. */
export const agentToolPrefix = 'agent:';

/** Levels of sub-agents below a run when its options do not say (children 1, grandchildren 2, ...). */
export const defaultMaxAgentDepth = 3;

/** The template a tool pattern names as a sub-agent, or undefined for an ordinary tool pattern. */
export function agentPatternTemplate(pattern: string): string | undefined {
  return pattern.startsWith(agentToolPrefix) ? pattern.slice(agentToolPrefix.length) : undefined;
}

/** A child run as its parent lists it in `state.children`. */
export interface ChildRun {
  /** The child's workflow id: `<parent id>.<tool call id>`. */
  runId: string;
  template: string;
  /** The parent's tool call that started it, and the parent's step. */
  callId: string;
  step: number;
  status: 'running' | 'completed' | 'stopped' | 'failed' | 'cancelled' | 'terminated' | 'timed_out';
  /** The child's usage (its own children's included), once it has ended with a result. */
  usage?: Usage;
  /** Why it failed, when it did. */
  error?: { type: string; message: string };
}

/** What a run carries of its sub-agents across continue-as-new. */
export interface CarriedSubAgents {
  children: ChildRun[];
  /** Sum of the usage of every child that has ended. */
  usage: Usage;
}

/** Where a sub-agent's run comes from: recorded in its input, so the run-time guard needs nothing else. */
export interface ParentLink {
  workflowId: string;
  /** Templates above this run, the top-level run's first. */
  lineage: string[];
}

/**
 * Why a run of `template` (its `lineage` above it) may not start `target` as a sub-agent, if it may not: a cycle
 * (the target is this run or one above it), or a child deeper than `maxDepth`.
 */
export function agentCallRefusal(
  lineage: readonly string[],
  template: string,
  target: string,
  maxDepth: number,
): { type: ErrorType; message: string } | undefined {
  const chain = [...lineage, template];
  if (chain.includes(target))
    return {
      type: ErrorType.AgentCycle,
      message: `Sub-agent "${target}" would call itself: ${[...chain, target].join(' -> ')}`,
    };
  if (chain.length > maxDepth)
    return {
      type: ErrorType.AgentDepthExceeded,
      message: `Sub-agent "${target}" would be ${chain.length} levels deep, more than ${maxDepth}: ${[...chain, target].join(' -> ')}`,
    };
  return undefined;
}

/** The child's workflow id: stable across replay and retries, since both parts are recorded in history. */
export function childWorkflowId(parentWorkflowId: string, callId: string): string {
  return `${parentWorkflowId}.${callId.replace(/[^A-Za-z0-9_:@-]/g, '_')}`;
}

/**
 * The spec of a sub-agent's run: its template's system prompt (with the output schema, as `resolveRun` renders
 * it), the call's task as the user message, its tools and limits, and the same `agents` so it can call its own.
 */
export function childRunSpec(
  template: TemplateSpec,
  args: Record<string, unknown>,
  agents: Record<string, TemplateSpec>,
): RunSpec {
  const { outputSchema } = template;
  const system = outputSchema ? structuredSystemMessage(template.systemPrompt, outputSchema) : template.systemPrompt;
  return {
    template: template.template,
    messages: [
      { role: 'system', content: system },
      { role: 'user', content: taskText(args) },
    ],
    tools: template.tools,
    maxSteps: template.maxSteps,
    ...(outputSchema ? { outputSchema } : {}),
    agents,
  };
}

/** `args.task` when the arguments are `{ task: string }`, else the arguments as JSON (as `resolveRun` renders input). */
export function taskText(args: Record<string, unknown>): string {
  const keys = Object.keys(args);
  return keys.length === 1 && typeof args.task === 'string' ? args.task : JSON.stringify(args);
}

const jsonSchema: Check = (v, path) =>
  record(any)(v, path) ??
  (JSON.stringify(v).length > 50_000 ? `${path}: schema is larger than 50,000 characters` : undefined);

/** A tool of a sub-agent's template; its child run's input checks it in full. */
const toolDefinitionCheck: Check = obj(
  { name: str({ min: 1, max: 200 }), description: str({ max: 10_000 }), parameters: jsonSchema },
  { strict: false },
);

/** `spec.agents` of a run input, checked by hand in workflow code. */
export const agentsCheck: Check = record(
  obj({
    template: str({ min: 1, max: 100 }),
    description: str({ max: 10_000 }),
    systemPrompt: str({ max: 100_000 }),
    tools: arr(toolDefinitionCheck, { max: 200 }),
    maxSteps: num({ int: true, min: 1, max: 10_000 }),
    inputSchema: optional(jsonSchema),
    outputSchema: optional(jsonSchema),
    handoffs: optional(arr(str({ min: 1, max: 100 }), { max: 100 })),
  }),
);

/** `parent` of a run input, checked by hand in workflow code. */
export const parentLinkCheck: Check = obj({
  workflowId: str({ min: 1, max: 1000 }),
  lineage: arr(str({ min: 1, max: 100 }), { max: 20 }),
});
