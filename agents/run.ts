/**
 * Run input, state and result: the wire types of `agentRunWorkflow`, with their zod schemas.
 *
 * Client and activity side (zod); workflow code imports only its types. `resolveRun` (resolve-run.ts) checks a
 * run input and resolves its spec before a workflow starts; the workflow checks its input again by hand
 * (workflows/run-input.ts), since inputs can also come from the UI, other clients or old histories.
 */
import { commitInputSchema } from './ledger-schema';
import { z } from 'zod';
import type { ApprovalOptions, PendingApproval } from './approval';
import type { ChatMessage, Usage } from './conversation';
import { chatMessageSchema, usageSchema } from './conversation-schema';
import type { HandoffRecord } from './handoffs';
import type { RunSpec, TemplateSpec } from './run-spec';
import type { ChildRun } from './sub-agents';

export const runStatuses = [
  'running',
  'paused',
  'awaiting_approval',
  'stopped',
  'completed',
  'failed',
  'cancelled',
] as const;
export type RunStatus = (typeof runStatuses)[number];

export const userIdSchema = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9._@:-]+$/, 'use letters, digits and . _ @ : - only');

export const runIdSchema = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[A-Za-z0-9._:@-]+$/, 'use letters, digits and . _ : @ - only');

/** State carried across continue-as-new: one plain object, no Maps or classes. */
export const carriedRunStateSchema = z.object({
  messages: z.array(chatMessageSchema),
  step: z.number().int().nonnegative(),
  usage: usageSchema,
  pauseRequested: z.boolean(),
  repairsUsed: z.number().int().nonnegative(),
  continuations: z.number().int().nonnegative(),
  /** Durable events, carried so sequence numbers continue. */
  events: z.object({ events: z.array(z.any()), lastSeq: z.number().int().nonnegative() }).optional(),
  /** The template the run continues under, once it has handed over (agents/handoffs.ts). */
  handoff: z
    .object({
      template: z.string(),
      stepLimit: z.number().int().nonnegative(),
      chain: z.array(
        z.object({ from: z.string(), to: z.string(), step: z.number().int(), reason: z.string().optional() }),
      ),
    })
    .optional(),
  /** Sub-agent runs so far and their usage (runs with `agent:` tools only). */
  subAgents: z.object({ children: z.array(z.any()), usage: usageSchema }).optional(),
  /** Usage commits of model calls the ledger has not seen yet (see `quotaMiddleware`). */
  commits: z.object({ pending: z.array(commitInputSchema), since: z.number() }).optional(),
});
export type CarriedRunState = z.infer<typeof carriedRunStateSchema>;

/** Where a run started by `fork` came from: the source run and the step whose state it started from. */
export const forkOriginSchema = z.object({ runId: runIdSchema, step: z.number().int().nonnegative() }).strict();
export type ForkOrigin = z.infer<typeof forkOriginSchema>;
/** `options.approval`, and a role's `approval` in the policy file: the tool calls that wait for a person's decision. */
export const approvalOptionsSchema = z
  .object({
    /** Tool names or globs (`send_*`). */
    tools: z.array(z.string().min(1).max(200)).min(1).max(100),
    /** How long a call waits before `onTimeout` applies, in seconds. Default: no limit. */
    timeoutSeconds: z.number().int().min(1).max(31_536_000).optional(),
    /** What a timeout decides. Default `reject`. */
    onTimeout: z.enum(['approve', 'reject']).optional(),
  })
  .strict() satisfies z.ZodType<ApprovalOptions>;

export const runOptionsSchema = z
  .object({
    /** Continue-as-new once history has this many events. Default 8,000 (Temporal warns at 10,240). */
    historyEventLimit: z.number().int().min(100).max(40_000).optional(),
    /** Continue-as-new once history has this many bytes. Default 8 MB (Temporal warns at 10 MB). */
    historyByteLimit: z.number().int().min(100_000).max(40_000_000).optional(),
    /** Start-to-close timeout of one model call, in seconds. Default 300. */
    modelTimeoutSeconds: z.number().int().min(1).max(3600).optional(),
    /** Stream model output to clients while calls run (see `tokensQuery`). Default false. */
    streamTokens: z.boolean().optional(),
    /** Tool calls that wait for a person's decision (`approve` / `reject`) before they run. */
    approval: approvalOptionsSchema.optional(),
    /** Levels of sub-agents a run may start below it (children, grandchildren, ...). Default 3. */
    maxAgentDepth: z.number().int().min(1).max(10).optional(),
  })
  .strict();
export type RunOptions = z.infer<typeof runOptionsSchema>;

/** A JSON Schema object, bounded so it cannot flood history. */
const jsonSchemaObject = z
  .record(z.string(), z.unknown())
  .refine((schema) => JSON.stringify(schema).length <= 50_000, 'schema is larger than 50,000 characters');

export const toolDefinitionSchema = z
  .object({
    name: z.string().min(1).max(200),
    description: z.string().max(10_000),
    parameters: jsonSchemaObject,
    taskQueue: z.string().min(1).max(200).optional(),
    handoff: z.string().min(1).max(100).optional(),
    agent: z.string().min(1).max(100).optional(),
    local: z.boolean().optional(),
  })
  .strict();

/** A template resolved at start for a sub-agent or a handoff (agents/resolve-agents.ts, agents/resolve-handoffs.ts). */
export const templateSpecSchema = z
  .object({
    template: z.string().min(1).max(100),
    description: z.string().max(10_000),
    systemPrompt: z.string().max(200_000),
    tools: z.array(toolDefinitionSchema).max(200),
    maxSteps: z.number().int().min(1).max(10_000),
    inputSchema: jsonSchemaObject.optional(),
    outputSchema: jsonSchemaObject.optional(),
    handoffs: z.array(z.string().min(1).max(100)).max(50).optional(),
  })
  .strict() satisfies z.ZodType<TemplateSpec>;

export const runSpecSchema = z
  .object({
    template: z.string().min(1).max(100),
    messages: z.array(chatMessageSchema).min(1).max(100),
    tools: z.array(toolDefinitionSchema).max(200),
    maxSteps: z.number().int().min(1).max(10_000),
    outputSchema: jsonSchemaObject.optional(),
    handoffs: z.record(z.string(), templateSpecSchema).optional(),
    agents: z.record(z.string(), templateSpecSchema).optional(),
  })
  .strict() satisfies z.ZodType<RunSpec>;

export const runInputSchema = z.object({
  template: z.string().min(1).max(100),
  /** Template-specific input, checked against the template's schema. Absent when `spec` is given. */
  input: z.unknown().optional(),
  /** The resolved template, recorded at start; the workflow runs from it alone. Absent in inputs of older clients. */
  spec: runSpecSchema.optional(),
  /** Model spec `provider:model`. */
  model: z.string().min(1).max(200),
  user: userIdSchema,
  options: runOptionsSchema.optional(),
  /** Set by the workflow itself when it continues as new, and by `fork` (the state after the source's step). */
  carried: carriedRunStateSchema.optional(),
  /** Set by `fork`; kept across continue-as-new. */
  forkedFrom: forkOriginSchema.optional(),
  /** Set only by a run starting this one as a sub-agent: its workflow id and the templates above this run, top first. */
  parent: z
    .object({ workflowId: z.string().min(1).max(1000), lineage: z.array(z.string().min(1).max(100)).max(20) })
    .strict()
    .optional(),
});
export type RunInput = z.infer<typeof runInputSchema>;

export interface RunState {
  runId: string;
  template: string;
  user: string;
  model: string;
  status: RunStatus;
  /** Steps finished so far (a step is one model call and the tool calls it asked for). */
  step: number;
  maxSteps: number;
  pauseRequested: boolean;
  stopRequested: boolean;
  usage: Usage;
  messageCount: number;
  continuations: number;
  error?: { type: string; message: string };
  /** Tool calls awaiting a decision (runs with `options.approval`, or once a role's approval rule applied). */
  pendingApprovals?: PendingApproval[];
  /** Set when the run was started by `fork`. */
  forkedFrom?: ForkOrigin;
  /** Handoffs so far, oldest first (runs whose template may hand over only); `template` is the current one. */
  handoffs?: HandoffRecord[];
  /** Runs with sub-agents: `usage` above includes the children's; this is the run's own. */
  ownUsage?: Usage;
  /** Runs with sub-agents: the child runs started so far (the newest 200). */
  children?: ChildRun[];
  /** A sub-agent's run: the workflow id of the run that started it. */
  parent?: string;
}

export type FinishReason = 'answer' | 'max_steps' | 'stopped';

export interface RunResult {
  runId: string;
  status: 'completed' | 'stopped';
  finishReason: FinishReason;
  /** The last assistant text (empty if stopped before any answer). */
  answer: string;
  /** Parsed JSON for the `structured` template. */
  output?: unknown;
  steps: number;
  /** With sub-agents, their usage included (see `ownUsage`). */
  usage: Usage;
  /** Runs with sub-agents: the run's own usage, without its children's. */
  ownUsage?: Usage;
}

export type { ChatMessage, Usage };
