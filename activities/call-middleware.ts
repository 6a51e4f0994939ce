/**
 * What the model-call and tool-call activities share to run their calls through the middleware pipeline:
 * the pipeline itself, the policy in force, prices and the ledger, and the per-call context built from
 * the activity's own context.
 */
import { Context } from '@temporalio/activity';
import type { Price } from '../agents/ledger';
import { builtinMiddleware } from './middleware/builtin';
import { temporalLedgerClient } from './middleware/ledger-client';
import { MiddlewarePipeline, type MiddlewareToggles } from './middleware/pipeline';
import { permissivePolicy, resolveUserPolicy, staticPolicySource, type PolicySource } from './middleware/policy';
import { priceTableFor } from './middleware/pricing';
import type { AgentMiddleware, LedgerClient, MiddlewareContext } from './middleware/types';

export interface MiddlewareDeps {
  /** Called with each middleware layer's own time per call (the worker feeds a histogram). */
  onLayerTiming?: (middleware: string, hook: 'model' | 'tool', seconds: number) => void;
  /** The policy in force (see `loadPolicySource`). Default: everything allowed, nothing limited. */
  policy?: PolicySource;
  /** More middleware, yours or `fromLangChainMiddleware(...)`, run with the built-in ones by priority. */
  middleware?: AgentMiddleware[];
  /** Price overrides, USD per 1M tokens by model glob; the policy's `pricing` wins over these. */
  prices?: Record<string, Price>;
  /**
   * The users' ledger: `true` (default) uses the ledger workflow through the activity's client; `false`
   * turns shared accounting, rate limits and quotas off (benchmarks); a function supplies another client.
   */
  ledger?: boolean | ((client: Context['client'], taskQueue: string) => LedgerClient);
  /** Log message bodies (`AGENT_LOG_PROMPTS=1`). Default false. */
  logPrompts?: boolean;
}

export interface CallFields {
  kind: 'model' | 'tool';
  step: number;
  user: string;
  template: string;
  callKey: string;
  model?: string;
  tool?: string;
}

export class CallMiddleware {
  readonly pipeline: MiddlewarePipeline;
  private readonly policySource: PolicySource;

  constructor(private readonly deps: MiddlewareDeps = {}) {
    this.pipeline = new MiddlewarePipeline([...builtinMiddleware(), ...(deps.middleware ?? [])], deps.onLayerTiming);
    this.policySource = deps.policy ?? staticPolicySource(permissivePolicy);
  }

  /** The users' ledger as the current activity reaches it; undefined when the worker keeps none. */
  ledger(): LedgerClient | undefined {
    const activity = Context.current();
    const ledger = this.deps.ledger ?? true;
    return ledger === true
      ? temporalLedgerClient(activity.client, activity.info.taskQueue)
      : ledger === false
        ? undefined
        : ledger(activity.client, activity.info.taskQueue);
  }

  /** The context of one call in the current activity, under the policy in force now. */
  context(fields: CallFields): { context: MiddlewareContext; toggles: MiddlewareToggles } {
    const activity = Context.current();
    const { info } = activity;
    const policy = this.policySource.current();
    const context: MiddlewareContext = {
      ...fields,
      workflowId: info.workflowExecution?.workflowId ?? '',
      attempt: info.attempt,
      attemptId: `${info.activityId}#${info.attempt}`,
      policy: resolveUserPolicy(policy, fields.user),
      prices: priceTableFor(policy, this.deps.prices),
      ledger: this.ledger(),
      log: activity.log,
      holdMs: Math.min(info.startToCloseTimeoutMs || 3600_000, 86_400_000),
      logPrompts: this.deps.logPrompts ?? false,
      timings: { startedAt: Date.now() },
      rateLimitActive: this.pipeline.active(policy.middleware).includes('rate-limit'),
    };
    return { context, toggles: policy.middleware };
  }
}
