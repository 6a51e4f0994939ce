/**
 * Middleware around each model call and tool call an activity makes, shaped like LangChain v1's agent
 * middleware: `wrapModelCall(request, handler)` and `wrapToolCall(request, handler)`, onion style.
 *
 * Requests are a superset of LangChain's `ModelRequest` / `ToolCallRequest` (model, messages, tools,
 * systemPrompt, toolCall, state, runtime), so LangChain middleware objects run here too
 * (`fromLangChainMiddleware`). Ours read `request.context`: who is calling, for what, under which policy.
 */
import type { BaseLanguageModelInput } from '@langchain/core/language_models/base';
import type { AIMessage, AIMessageChunk, BaseMessage, ToolMessage } from '@langchain/core/messages';
import type { Runnable } from '@langchain/core/runnables';
import type { StructuredToolInterface } from '@langchain/core/tools';
import type { Logger } from '@temporalio/common';
import type {
  AcquireInput,
  AcquireResult,
  AdmitInput,
  AdmitResult,
  CommitInput,
  ReleaseInput,
  ReserveInput,
  ReserveResult,
} from '../../agents/ledger';
import type { UserPolicy } from './policy';
import type { PriceTable } from './pricing';

/** Token usage of one model call as the provider reported it. */
export interface CallUsage {
  inputTokens: number;
  outputTokens: number;
  /** Part of `inputTokens` served from the provider's cache. */
  cachedTokens: number;
}

/** The user's shared ledger (a Temporal workflow); see `ledger-client.ts`. */
export interface LedgerClient {
  acquire(user: string, input: AcquireInput): Promise<AcquireResult>;
  reserve(user: string, input: ReserveInput): Promise<ReserveResult>;
  /** `acquire` and `reserve` in one round trip. */
  admit(user: string, input: AdmitInput): Promise<AdmitResult>;
  release(user: string, input: ReleaseInput): Promise<void>;
  /** Durable once it resolves; applied once per key. */
  commit(user: string, input: CommitInput): Promise<void>;
  /** Several commits (one run's) in one ledger signal; durable once it resolves; applied once per key. */
  commitAll(user: string, inputs: CommitInput[]): Promise<void>;
}

/**
 * Commits an agent run carries instead of sending each at once (see `quotaMiddleware`): the run's earlier model
 * calls not yet in the ledger, recorded in its history; whether this call may join them; and, when it did, its own.
 */
export interface CarriedCommits {
  pending: CommitInput[];
  mayDefer: boolean;
  /** Set by the quota middleware when this call's commit is left to the run. */
  deferred?: CommitInput;
}

/** One call going through the pipeline. Middleware may add to it; the activity reads it afterwards. */
export interface MiddlewareContext {
  kind: 'model' | 'tool';
  /** Workflow id of the agent run or session (what clients call the run id). */
  workflowId: string;
  user: string;
  template: string;
  /** Agent step this call belongs to (1-based). */
  step: number;
  /** Activity attempt, 1 on the first try. */
  attempt: number;
  /** The call's key in the user's ledger: the same for every attempt of it (`<workflowId>#<step>`). */
  callKey: string;
  /** Unique to this attempt of this activity (`<activityId>#<attempt>`). */
  attemptId: string;
  /** Model spec of a model call, e.g. `openai:gpt-4o-mini`. */
  model?: string;
  /** Tool name of a tool call. */
  tool?: string;
  /** What this user may do and the limits that apply, from the policy in force. */
  policy: UserPolicy;
  prices: PriceTable;
  /** Absent when the call runs outside an activity (unit tests, benchmarks). */
  ledger?: LedgerClient;
  /** The activity's logger: it adds workflow id, run id, activity id and attempt to each entry. */
  log: Logger;
  /** Milliseconds a reservation may hold if this call never reports back (its remaining timeout). */
  holdMs: number;
  /** Include message bodies in logs (`AGENT_LOG_PROMPTS=1`). Default false. */
  logPrompts: boolean;
  timings: {
    /** Epoch ms when the pipeline started. */
    startedAt: number;
    /** Time inside the innermost handler (the model or tool itself), in ms. */
    handlerMs?: number;
  };
  /** Set by the innermost model handler from the provider's report. */
  usage?: CallUsage;
  /** USD of `usage`, from the price table. */
  costUsd?: number;
  /** How the call ended, for logs: `ok`, `denied`, or an error type. */
  outcome?: string;
  /** Whether the `rate-limit` middleware runs for this call (the quota middleware then asks for both at once). */
  rateLimitActive?: boolean;
  /** A rate-limit grant already obtained for this call (with the quota's reservation). */
  rateGrant?: { at: number };
  /** Model calls of agent runs: commits the run carries (absent for sessions and older workflows). */
  commits?: CarriedCommits;
}

export type ChatRunnable = Runnable<BaseLanguageModelInput, AIMessageChunk | AIMessage>;

/** A tool the model may call: a LangChain tool, or a definition recorded in the run's spec (OpenAI's function format). */
export type ModelTool =
  | StructuredToolInterface
  | { type: 'function'; function: { name: string; description: string; parameters: Record<string, unknown> } };

/** LangChain's `ModelRequest`, plus our `context`. */
export interface ModelCallRequest {
  /** The LangChain chat model; tools are bound by the innermost handler. */
  model: ChatRunnable & { bindTools?: (tools: ModelTool[], kwargs?: Record<string, unknown>) => ChatRunnable };
  messages: BaseMessage[];
  /** Prepended as a system message when set. */
  systemPrompt?: string;
  tools: ModelTool[];
  toolChoice?: 'auto' | 'none' | 'required' | { type: 'function'; function: { name: string } };
  modelSettings?: Record<string, unknown>;
  state: { messages: BaseMessage[] } & Record<string, unknown>;
  runtime: { context: MiddlewareContext; signal?: AbortSignal };
  context: MiddlewareContext;
  /** When set, the reply is streamed and its text passed here as it comes. */
  onToken?: (text: string) => void;
}
export type ModelCallHandler = (request: ModelCallRequest) => Promise<AIMessage>;

/** LangChain's `ToolCallRequest`, plus our `context`. */
export interface ToolCallRequest {
  toolCall: { id: string; name: string; args: Record<string, unknown>; type?: 'tool_call' };
  /** Undefined when the run may not use a tool of that name. */
  tool?: StructuredToolInterface;
  state: { messages: BaseMessage[] } & Record<string, unknown>;
  runtime: { context: MiddlewareContext; signal?: AbortSignal };
  context: MiddlewareContext;
}
export type ToolCallHandler = (request: ToolCallRequest) => Promise<ToolMessage>;

/**
 * One middleware. Each hook wraps the rest of the pipeline: it may act before and after `handler`,
 * change the request, answer without calling `handler` (short-circuit), or throw (typed
 * `ApplicationFailure`s pass through to the workflow unchanged).
 *
 * @example
 * const timing: AgentMiddleware = {
 *   name: 'timing', priority: 50, enabled: true,
 *   async wrapModelCall(request, handler) {
 *     const started = Date.now();
 *     try { return await handler(request); } finally { request.context.log.info('took', { ms: Date.now() - started }); }
 *   },
 * };
 */
export interface AgentMiddleware {
  /** Unique within a pipeline; the policy's `middleware.<name>.enabled` refers to it. */
  name: string;
  /** Lower runs further out (first before, last after). Ties keep registration order. */
  priority: number;
  /** Off middleware is skipped. The policy may override it by name. */
  enabled: boolean;
  wrapModelCall?(request: ModelCallRequest, handler: ModelCallHandler): Promise<AIMessage>;
  wrapToolCall?(request: ToolCallRequest, handler: ToolCallHandler): Promise<ToolMessage>;
}

/** Priorities of the built-in middleware (outermost first). */
export const middlewarePriority = { logging: 10, auth: 20, quota: 30, rateLimit: 40 } as const;
