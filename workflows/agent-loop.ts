/**
 * `AgentLoop`: one agent's steps (model call, then the tool calls it asks for) over a conversation held in
 * workflow state. Used by `agentRunWorkflow` and by sessions for each turn.
 *
 * Deterministic code only. Pause parks at a step boundary; stop cancels the step in flight.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  condition,
  isCancellation,
  log,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  sleep,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { AgentActivities, InvokeModelInput, InvokeModelResult } from '../activities';
import { addUsage, type ChatMessage, type Usage } from '../agents/conversation';
import { agentFailure, ErrorType, nonRetryableErrorTypes } from '../agents/errors';
import {
  eventsQuery,
  messageDescriptions,
  modelCallFailedSignal,
  modelCallFailureCheck,
  tokenDeltasSignal,
  tokenDeltaCheck,
  tokensQuery,
  type ConversationArgs,
  type ConversationSlice,
  type ModelCallFailure,
} from '../agents/messages';
import { agentPausedAtKey } from '../agents/search-attributes';
import type { RunStatus } from '../agents/run';
import type { ToolDefinition } from '../agents/run-spec';
import { workflowNow } from './clock';
import { sliceConversation } from './conversation-slice';
import { RunEventLog } from './run-events';
import { legacyStructuredCheck } from './legacy-structured-check';
import { TokenStream } from './token-stream';

/** Retry policy of model and tool calls: exponential backoff from 1 s, doubling, at most 30 s apart. */
const retryBackoff = { initialMs: 1000, coefficient: 2, maxMs: 30_000 };

/** Time Temporal waits after failed attempt `attempt` (1-based) under {@link retryBackoff}, unless the failure set its own. */
function backoffMs(attempt: number): number {
  return Math.min(retryBackoff.initialMs * retryBackoff.coefficient ** (attempt - 1), retryBackoff.maxMs);
}

export interface LoopConfig {
  template: string;
  model: string;
  tools: string[];
  user: string;
  /** Start-to-close timeout of one model call, in seconds. */
  modelTimeoutSeconds: number;
  /** JSON Schema a final answer must satisfy (structured output). */
  outputSchema?: Record<string, unknown>;
  /** Tool definitions recorded in the run's spec, answered to the model-call activity; absent for sessions and legacy runs. */
  toolDefinitions?: ToolDefinition[];
  /** Stream model output to `tokensQuery` readers while calls run. */
  streamTokens?: boolean;
}

/** Everything that must survive continue-as-new; plain JSON. */
export interface LoopState {
  messages: ChatMessage[];
  /** Steps finished so far. */
  step: number;
  usage: Usage;
  repairsUsed: number;
  pauseRequested: boolean;
}

export type StepOutcome = 'continue' | 'answer' | 'stopped';

export class AgentLoop {
  status: RunStatus = 'running';
  stopRequested = false;
  error?: { type: string; message: string };
  /** Parsed JSON of the last structured answer. */
  output?: unknown;
  /** Scope of the step in flight, cancelled by `stop` so the model call is aborted. */
  private stepScope?: CancellationScope;
  private readonly activities: AgentActivities;
  readonly tokens = new TokenStream();

  constructor(
    readonly config: LoopConfig,
    readonly state: LoopState,
    private readonly onStatus: (status: RunStatus) => void,
    /** Durable step events; pass the carried log across continue-as-new. */
    readonly events: RunEventLog = new RunEventLog(),
  ) {
    const retry = { initialInterval: retryBackoff.initialMs, backoffCoefficient: retryBackoff.coefficient, maximumInterval: retryBackoff.maxMs, nonRetryableErrorTypes };
    // proxyActivities returns a Proxy: pick functions off it, never spread it.
    const { invokeModel } = proxyActivities<AgentActivities>({
      startToCloseTimeout: `${config.modelTimeoutSeconds}s`,
      heartbeatTimeout: '10s',
      retry: { ...retry, maximumAttempts: 10 },
    });
    const { callTool } = proxyActivities<AgentActivities>({ startToCloseTimeout: '60s', heartbeatTimeout: '10s', retry: { ...retry, maximumAttempts: 3 } });
    this.activities = { invokeModel, callTool };
  }

  /** Registers `events`, `tokens`, `tokenDeltas` and `modelCallFailed`: the observation handlers every agent workflow has. */
  registerObservationHandlers(): void {
    setHandler(eventsQuery, (args) => this.events.page(args), { description: messageDescriptions.events });
    setHandler(tokensQuery, (args) => this.tokens.page(args, this.isFinished()), { description: messageDescriptions.tokens });
    setModelCallReportHandlers(() => this);
  }

  /** A retried model-call attempt becomes a durable `retry` event; a bad or late notice is logged, never fails the run. */
  recordRetry(failure: unknown): void {
    const problem = modelCallFailureCheck(failure, '');
    if (problem) return void log.warn('Ignoring malformed modelCallFailed signal', { error: problem });
    const { step, attempt, errorType, message, retryAfterMs } = failure as ModelCallFailure;
    if (this.isFinished() || step !== this.state.step + 1) return;
    const waitMs = retryAfterMs ?? backoffMs(attempt);
    this.events.emit('retry', { step, attempt, errorType, waitMs, reason: `attempt ${attempt} failed with ${errorType}: ${message}` });
  }

  pause(): void {
    if (!this.isFinished()) this.state.pauseRequested = true;
  }

  resume(): void {
    this.state.pauseRequested = false;
  }

  stop(): void {
    if (this.isFinished()) return;
    this.stopRequested = true;
    this.stepScope?.cancel();
  }

  isFinished(): boolean {
    return ['stopped', 'completed', 'failed', 'cancelled'].includes(this.status);
  }

  setStatus(status: RunStatus): void {
    if (this.status === status) return;
    const previous = this.status;
    this.status = status;
    this.onStatus(status);
    const step = this.state.step;
    if (status === 'paused') {
      this.events.emit('run.paused', { step, reason: this.error?.type });
      // Added after v1 histories were recorded: they replay without this upsert.
      if (patched('paused-at-search-attribute')) upsertSearchAttributes([{ key: agentPausedAtKey, value: new Date(workflowNow()) }]);
    } else if (status === 'running' && previous === 'paused') {
      this.events.emit('run.resumed', { step });
    } else if (status === 'stopped') {
      this.events.emit('run.stopped', { step });
    } else if (status === 'cancelled') {
      this.events.emit('run.cancelled', { step });
    }
    if (status !== 'running') setCurrentDetails(status);
    if (this.isFinished()) {
      this.events.done = true;
      this.tokens.finish();
    }
  }

  /** Parks while paused; a parked run is just a pending condition: no activity, no worker slot. */
  async waitWhilePaused(): Promise<void> {
    if (!this.state.pauseRequested || this.stopRequested) return;
    this.setStatus('paused');
    setCurrentDetails(`paused after step ${this.state.step}`);
    await condition(() => !this.state.pauseRequested || this.stopRequested);
    this.setStatus('running');
  }

  async runStep(maxSteps: number): Promise<StepOutcome> {
    const scope = new CancellationScope();
    this.stepScope = scope;
    try {
      return await scope.run(() => this.modelAndTools(maxSteps));
    } catch (err) {
      if (this.stopRequested && isCancellation(err)) return 'stopped';
      throw err;
    } finally {
      this.stepScope = undefined;
    }
  }

  /** Records a failure in state and returns what to throw: the activity's typed failure, not its wrapper. */
  fail(err: unknown): unknown {
    if (isCancellation(err)) {
      this.setStatus('cancelled');
      return err;
    }
    const failure = err instanceof ActivityFailure && err.cause instanceof ApplicationFailure ? err.cause : err;
    this.error = { type: (failure as { type?: string }).type ?? 'Error', message: failure instanceof Error ? failure.message : String(failure) };
    this.events.emit('run.failed', { step: this.state.step, errorType: this.error.type, message: this.error.message });
    this.setStatus('failed');
    return failure;
  }

  lastAnswer(): string {
    for (let i = this.state.messages.length - 1; i >= 0; i--) {
      const m = this.state.messages[i];
      if (m.role === 'assistant') return m.content;
    }
    return '';
  }

  conversationSlice(args: ConversationArgs): ConversationSlice {
    const slice = sliceConversation(this.state.messages, args);
    const { toolDefinitions, outputSchema } = this.config;
    if (args?.withSpec && (toolDefinitions || outputSchema)) slice.spec = { ...(toolDefinitions ? { tools: toolDefinitions } : {}), ...(outputSchema ? { outputSchema } : {}) };
    return slice;
  }

  private async modelAndTools(maxSteps: number): Promise<StepOutcome> {
    const { config, state } = this;
    const step = state.step + 1;
    setCurrentDetails(`step ${step} of at most ${maxSteps}: calling ${config.model}`);
    this.events.emit('step.started', { step });
    this.tokens.begin(step);
    const reply = await this.invokeModelAdmitted({
      step,
      model: config.model,
      tools: config.tools,
      messageCount: state.messages.length,
      user: config.user,
      template: config.template,
      timeoutMs: config.modelTimeoutSeconds * 1000,
      stream: config.streamTokens || undefined,
    });
    this.tokens.finish();
    state.messages.push(reply.message);
    addUsage(state.usage, { ...reply.usage, modelCalls: 1 });
    this.events.emit('model.call', { step, model: reply.model, ...reply.usage, costUsd: (reply.usage as { costUsd?: number }).costUsd ?? 0, durationMs: reply.durationMs });

    const calls = reply.message.toolCalls ?? [];
    if (calls.length > 0) {
      const results = await Promise.all(
        calls.map((call) =>
          this.activities.callTool({ step, toolCallId: call.id, name: call.name, args: call.args, allowed: config.tools, user: config.user, template: config.template }),
        ),
      );
      calls.forEach((call, i) => {
        state.messages.push({ role: 'tool', toolCallId: call.id, name: call.name, content: results[i].content, isError: results[i].isError || undefined });
        this.events.emit('tool.call', { step, tool: call.name, isError: results[i].isError });
      });
      addUsage(state.usage, { toolCalls: calls.length });
      state.step++;
      this.events.emit('step.finished', { step, toolCalls: calls.length, answered: false });
      return 'continue';
    }
    state.step++;
    const outcome = this.checkOutput(reply);
    this.events.emit('step.finished', { step, toolCalls: 0, answered: outcome === 'answer' });
    return outcome;
  }

  /**
   * The model call, admitted by the user's rate limit and quota. Refusals (`RateLimited`, `QuotaExceeded`,
   * raised by the activity's middleware) either wait and try the step's call again, or fail the run, as the
   * policy put in their details. Histories without such refusals take no new commands here.
   */
  private async invokeModelAdmitted(input: InvokeModelInput): Promise<InvokeModelResult> {
    for (;;) {
      try {
        return await this.activities.invokeModel(input);
      } catch (err) {
        const refusal = admissionRefusal(err);
        if (!refusal) throw err;
        this.events.emit('middleware.rejection', { step: input.step, kind: refusal.type, message: refusal.message });
        if (refusal.type === ErrorType.RateLimited && refusal.details.onLimit === 'wait') {
          const waitMs = Math.max(1, refusal.details.retryAfterMs ?? 1000);
          setCurrentDetails(`step ${input.step}: rate limited, waiting ${waitMs} ms`);
          log.info('Rate limited; waiting before the model call', { step: input.step, waitMs });
          await sleep(waitMs);
        } else if (refusal.type === ErrorType.QuotaExceeded && refusal.details.onExceeded === 'pause') {
          await this.pauseForQuota(refusal, input.step);
        } else {
          throw err;
        }
      }
    }
  }

  /** Parks the run as `paused`, with the quota error in state, until resumed (or the quota period rolls over). */
  private async pauseForQuota(refusal: AdmissionRefusal, step: number): Promise<void> {
    this.error = { type: refusal.type, message: refusal.message };
    this.state.pauseRequested = true;
    this.setStatus('paused');
    setCurrentDetails(`paused at step ${step}: ${refusal.message}`);
    log.info('Quota exceeded; run paused until resumed', { step });
    const resetsInMs = refusal.details.resetsInMs;
    // Stop cancels the step scope, which ends this wait too.
    await condition(() => !this.state.pauseRequested, typeof resetsInMs === 'number' && resetsInMs > 0 ? resetsInMs : undefined);
    this.state.pauseRequested = false;
    this.error = undefined;
    this.setStatus('running');
  }

  /** Structured output: validate, allow one repair attempt, then fail with `OutputInvalid`. */
  private checkOutput(reply: InvokeModelResult): StepOutcome {
    const schema = this.config.outputSchema;
    if (!schema) return 'answer';
    // The activity checked the answer against the recorded schema; replies recorded before it did are checked here.
    const check = reply.output ?? legacyStructuredCheck(reply.message.content, schema);
    if (check.ok) {
      this.output = check.value;
      return 'answer';
    }
    if (this.state.repairsUsed >= 1) throw agentFailure(ErrorType.OutputInvalid, `Structured output still invalid after one repair: ${check.problem}`);
    this.state.repairsUsed++;
    log.info('Structured output invalid; asking for a repair', { problem: check.problem });
    this.state.messages.push({ role: 'user', content: `Your answer did not satisfy the schema: ${check.problem}. Reply with only the corrected JSON.` });
    return 'continue';
  }
}

interface AdmissionRefusal {
  type: typeof ErrorType.RateLimited | typeof ErrorType.QuotaExceeded;
  message: string;
  details: { onLimit?: string; retryAfterMs?: number; onExceeded?: string; resetsInMs?: number };
}

/** A rate-limit or quota refusal from the model-call activity, with the details its middleware attached. */
function admissionRefusal(err: unknown): AdmissionRefusal | undefined {
  if (!(err instanceof ActivityFailure) || !(err.cause instanceof ApplicationFailure)) return undefined;
  const { type, message, details } = err.cause;
  if (type !== ErrorType.RateLimited && type !== ErrorType.QuotaExceeded) return undefined;
  return { type, message, details: (details?.[0] ?? {}) as AdmissionRefusal['details'] };
}

/**
 * Handlers for what a model-call activity reports while it runs: token batches (`tokenDeltas`) and failed
 * attempts (`modelCallFailed`), for the loop running that call. A bad signal is logged, never fails the workflow.
 */
export function setModelCallReportHandlers(currentLoop: () => AgentLoop | undefined): void {
  setHandler(modelCallFailedSignal, (failure) => currentLoop()?.recordRetry(failure), { description: messageDescriptions.modelCallFailed });
  setHandler(
    tokenDeltasSignal,
    (delta) => {
      const problem = tokenDeltaCheck(delta, '');
      if (!problem) currentLoop()?.tokens.apply({ step: delta.step, attempt: delta.attempt, offset: delta.offset, text: delta.text });
      else log.warn('Ignoring malformed tokenDeltas signal', { error: problem });
    },
    { description: messageDescriptions.tokenDeltas },
  );
}
