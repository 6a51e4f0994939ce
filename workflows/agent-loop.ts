/**
 * `AgentLoop`: one agent's steps (model call, then the tool calls it asks for) over a conversation held in
 * workflow state. Used by `agentRunWorkflow` and by sessions for each turn.
 *
 * Deterministic code only. Pause parks at a step boundary; stop cancels the step in flight.
 */
/* eslint-disable @typescript-eslint/no-require-imports -- modules of features most runs never use load on use */
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  condition,
  isCancellation,
  log,
  patched,
  setCurrentDetails,
} from '@temporalio/workflow';
import type { CallToolInput, CallToolResult, InvokeModelInput, InvokeModelResult } from '../activities';
import { mergeApprovals, rejectedToolResult, type ApprovalOptions } from '../agents/approval';
import { addUsage, charsOf, type ChatMessage, type Usage } from '../agents/conversation';
import type { ConversationArgs, ConversationSlice } from '../agents/messages';
import type { HandoffState } from '../agents/handoffs';
import type { RunStatus } from '../agents/run';
import { maxCarriedCommitAgeMs, maxCarriedCommits } from '../agents/carried-commits';
import type { CommitInput } from '../agents/ledger';
import type { ToolDefinition } from '../agents/run-spec';
import {
  agentActivities,
  callToolLocally,
  callToolOn,
  commitUsageActivity,
  commitUsageLocally,
  type AgentActivityCalls,
} from './agent-activities';
import { modelCallSummary, toolCallSummary } from './activity-summaries';
import { invokeModelAdmitted, type AdmissionRefusal } from './admission';
import type * as ApprovalGateModule from './approval-gate';
import type { ApprovalGate } from './approval-gate';
import { workflowNow } from './clock';
import { sliceConversation } from './conversation-slice';
import type { RunHandoffs } from './handoff';
import { RunEventLog } from './run-events';
import { emitStatusChange } from './run-status';
import type * as StructuredRepair from './structured-repair';
import { TokenStream } from './token-stream';

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
  /** Tool calls that wait for a person's decision before they run. */
  approval?: ApprovalOptions;
  /**
   * The conversation only grows (runs; not sessions, whose memory rewrites it): model calls may then carry the
   * messages added since the previous call, so the activity needs no query. See {@link AgentLoop.conversationTail}.
   */
  appendOnly?: boolean;
  /**
   * Model calls may leave their usage commit to the run (no quota to hold): the run carries the commits and a later
   * call sends them all in one ledger message, or `commitCarried` does before the run parks or ends. Runs only.
   */
  carryCommits?: boolean;
  /**
   * Changes made after runs of this workflow type were recorded sit behind `patched()` (default; sessions and
   * `agentRunWorkflow` runs). `agentRun` runs started with the changes made before that type, so they take those
   * unpatched: no marker and no `TemporalChangeVersion` upsert (agents/run-workflow-type.ts). Later changes are
   * patched in both types (`usage-commit-activity`).
   */
  patchedChanges?: boolean;
}

/** Everything that must survive continue-as-new; plain JSON. */
export interface LoopState {
  messages: ChatMessage[];
  /** Steps finished so far. */
  step: number;
  usage: Usage;
  repairsUsed: number;
  pauseRequested: boolean;
  /** Set once the run has handed over to another template (workflows/handoff.ts). */
  handoff?: HandoffState;
  /** Usage commits of model calls the ledger has not seen yet, and since when (workflow time) the oldest waits. */
  commits?: { pending: CommitInput[]; since: number };
}

export type StepOutcome = 'continue' | 'answer' | 'stopped';

/** Runs the tool calls it handles in the workflow instead of the tool activity (sub-agents: workflows/sub-agents.ts). */
export interface ToolRunner {
  handles(name: string): boolean;
  /** `summary` is the call's one-line label for the Temporal UI, as a tool activity's. */
  call: (input: CallToolInput, summary: string) => Promise<CallToolResult>;
}
/** Tails larger than this are read by query instead: history stays small when tools return large results. */
const maxTailChars = 8_000;
/** The model-call input takes at most this many tail messages (a continued run's whole conversation is more). */
const maxTailMessages = 100;

export class AgentLoop {
  status: RunStatus = 'running';
  stopRequested = false;
  error?: { type: string; message: string };
  /** Parsed JSON of the last structured answer. */
  output?: unknown;
  /**
   * The scope steps run in, cancelled by `stop` while a step is in flight so its model call is aborted. One per loop,
   * not one per step: a workflow pays for every promise it makes (the SDK takes a stack trace of each), and a
   * stopped loop runs no further step.
   */
  private stepScope?: CancellationScope;
  private stepInFlight = false;
  private readonly activities: Pick<AgentActivityCalls, 'invokeModel' | 'callTool'>;
  readonly tokens = new TokenStream();
  private gate?: ApprovalGate;
  /** Present when the run's template may hand over (`spec.handoffs`); set by `RunHandoffs.attach`. */
  handoffs?: RunHandoffs;
  /** Set by runs with sub-agents. */
  toolRunner?: ToolRunner;
  /** The conversation as the last model call left it (its first message and length), for {@link conversationTail}. */
  private afterLastCall?: { first: ChatMessage; count: number; replyId: string };
  /** A model call was made in this workflow run (the first carries the opening messages when small). */
  private calledModel = false;

  constructor(
    readonly config: LoopConfig,
    readonly state: LoopState,
    private readonly onStatus: (status: RunStatus) => void,
    /** Durable step events; pass the carried log across continue-as-new. */
    readonly events: RunEventLog = new RunEventLog(),
  ) {
    this.activities = agentActivities(config.modelTimeoutSeconds);
  }

  /** Some tool call waits for a person's decision (without making the gate). */
  awaitsApproval(): boolean {
    return this.gate?.waiting() ?? false;
  }

  /**
   * Waits on `config.approval` and on role approval rules the model-call activity reports (policy file). Made, and
   * its module required, on first use: most runs never need it (see `workflows/index.ts` on module evaluation).
   */
  get approvals(): ApprovalGate {
    return (this.gate ??= new (require('./approval-gate') as typeof ApprovalGateModule).ApprovalGate(this.events));
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
    if (this.stepInFlight) this.stepScope?.cancel();
  }

  isFinished(): boolean {
    return ['stopped', 'completed', 'failed', 'cancelled'].includes(this.status);
  }

  setStatus(status: RunStatus): void {
    if (this.status === status) return;
    const previous = this.status;
    this.status = status;
    this.onStatus(status);
    emitStatusChange(this.events, previous, status, this.state.step, this.error?.type, this.config.patchedChanges);
    if (this.isFinished()) {
      this.events.done = true;
      this.tokens.finish();
    }
  }

  /** A pause waits to be parked in: callers `await waitWhilePaused()` only then (an await costs a promise per step). */
  get parkRequested(): boolean {
    return this.state.pauseRequested && !this.stopRequested;
  }

  /** Parks while paused; a parked run is just a pending condition: no activity, no worker slot. */
  async waitWhilePaused(): Promise<void> {
    if (!this.parkRequested) return;
    await this.commitCarried();
    this.setStatus('paused');
    setCurrentDetails(`paused after step ${this.state.step}`);
    await condition(() => !this.state.pauseRequested || this.stopRequested);
    this.setStatus('running');
  }

  async runStep(maxSteps: number): Promise<StepOutcome> {
    const scope = (this.stepScope ??= new CancellationScope());
    this.stepInFlight = true;
    try {
      return await scope.run(() => this.modelAndTools(maxSteps));
    } catch (err) {
      if (this.stopRequested && isCancellation(err)) return 'stopped';
      throw err;
    } finally {
      this.stepInFlight = false;
    }
  }

  /** Records a failure in state and returns what to throw: the activity's typed failure, not its wrapper. */
  fail(err: unknown): unknown {
    if (isCancellation(err)) {
      this.setStatus('cancelled');
      return err;
    }
    const failure = err instanceof ActivityFailure && err.cause instanceof ApplicationFailure ? err.cause : err;
    this.error = {
      type: (failure as { type?: string }).type ?? 'Error',
      message: failure instanceof Error ? failure.message : String(failure),
    };
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
    if (args?.withSpec && (toolDefinitions || outputSchema))
      slice.spec = {
        ...(toolDefinitions ? { tools: toolDefinitions } : {}),
        ...(outputSchema ? { outputSchema } : {}),
      };
    return slice;
  }

  private async modelAndTools(maxSteps: number): Promise<StepOutcome> {
    const { config, state } = this;
    const step = state.step + 1;
    setCurrentDetails(`step ${step} of at most ${maxSteps}: calling ${config.model}`);
    this.events.emit('step.started', { step });
    this.tokens.begin(step);
    const input = {
      step,
      model: config.model,
      tools: config.tools,
      messageCount: state.messages.length,
      user: config.user,
      template: config.template,
      timeoutMs: config.modelTimeoutSeconds * 1000,
      stream: config.streamTokens || undefined,
      tail: this.conversationTail(),
      commits: this.carriedCommits(),
    };
    // Admitted by the user's rate limit and quota: may wait, or park the run, before the call is made.
    const summary = modelCallSummary(step, config.model);
    const reply = await invokeModelAdmitted(
      (call) => this.activities.invokeModel.executeWithOptions({ summary }, [call]),
      input,
      this,
    );
    this.tokens.finish();
    if (input.commits) this.carryCommit(reply.deferredCommit);
    state.messages.push(reply.message);
    if (config.appendOnly && reply.replyId)
      this.afterLastCall = { first: state.messages[0], count: state.messages.length, replyId: reply.replyId };
    addUsage(state.usage, { ...reply.usage, modelCalls: 1 });
    this.events.emit('model.call', {
      step,
      model: reply.model,
      ...reply.usage,
      costUsd: (reply.usage as { costUsd?: number }).costUsd ?? 0,
      durationMs: reply.durationMs,
    });

    const calls = reply.message.toolCalls ?? [];
    if (calls.length > 0) {
      // The run's own rule and its user's roles' (recorded with the reply). Runs with neither skip this entirely:
      // their commands are what they were.
      const rule = mergeApprovals(config.approval, reply.approval);
      // The run may wait for a person here: the ledger gets what it carries first.
      if (rule) await this.commitCarried();
      const verdicts = rule
        ? await this.approvals.gate(rule, calls, step, (waiting) => this.onApprovalWait(waiting))
        : undefined;
      // Handoff calls are answered here, with no activity; the handoff itself waits until the other calls ran.
      const handoff = this.handoffs?.plan(this, calls, (id) => verdicts?.get(id)?.decision === 'rejected');
      const results = await Promise.all(
        calls.map((call) => {
          const verdict = verdicts?.get(call.id);
          if (verdict?.decision === 'rejected')
            return { content: rejectedToolResult(verdict.reason, verdict.byTimeout), isError: true };
          const answered = handoff?.results.get(call.id);
          if (answered) return answered;
          return this.callTool(
            call.name,
            toolCallSummary(call.name, call.args),
          )({
            step,
            toolCallId: call.id,
            name: call.name,
            args: call.args,
            allowed: config.tools,
            user: config.user,
            template: config.template,
          });
        }),
      );
      calls.forEach((call, i) => {
        state.messages.push({
          role: 'tool',
          toolCallId: call.id,
          name: call.name,
          content: results[i].content,
          isError: results[i].isError || undefined,
        });
        if (!handoff?.results.has(call.id))
          this.events.emit('tool.call', { step, tool: call.name, isError: results[i].isError });
      });
      // Rejected calls were not run, nor were handoff calls: they are no tool calls of the usage.
      const rejected = verdicts ? calls.filter((call) => verdicts.get(call.id)?.decision === 'rejected').length : 0;
      addUsage(state.usage, { toolCalls: calls.length - rejected - (handoff?.results.size ?? 0) });
      state.step++;
      if (handoff?.accepted) this.handoffs!.apply(this, handoff.accepted, step);
      this.events.emit('step.finished', { step, toolCalls: calls.length, answered: false });
      return 'continue';
    }
    state.step++;
    const outcome = this.checkOutput(reply);
    this.events.emit('step.finished', { step, toolCalls: 0, answered: outcome === 'answer' });
    return outcome;
  }

  /** What the next model call carries: absent when the run does not carry commits (sessions, older runs' replays). */
  private carriedCommits(): InvokeModelInput['commits'] {
    if (!this.config.carryCommits) return undefined;
    const carried = this.state.commits;
    const pending = carried?.pending ?? [];
    const mayDefer =
      pending.length < maxCarriedCommits - 1 && (!carried || workflowNow() - carried.since < maxCarriedCommitAgeMs);
    return { pending: [...pending], mayDefer };
  }

  /** After a model call that carried commits: its own joins them, or the ledger now has them all. */
  private carryCommit(deferred: CommitInput | undefined): void {
    if (!deferred) {
      delete this.state.commits;
      return;
    }
    const carried = (this.state.commits ??= { pending: [], since: workflowNow() });
    carried.pending.push(deferred);
  }

  /**
   * Sends the commits the run carries to the ledger (an activity), before it parks or ends. If the ledger stays
   * unreachable through the retries the run keeps them, and a later call or park sends them.
   */
  async commitCarried(): Promise<void> {
    const carried = this.state.commits;
    if (!carried?.pending.length) return;
    // Runs recorded before the patch sent them with a local activity, which a worker without a cache drops.
    const commitUsage = patched('usage-commit-activity') ? commitUsageActivity() : commitUsageLocally();
    try {
      await CancellationScope.nonCancellable(() => commitUsage({ user: this.config.user, commits: carried.pending }));
      if (this.state.commits === carried) delete this.state.commits;
    } catch (err) {
      log.warn('Usage commits not delivered to the ledger; the run keeps them', { error: String(err) });
    }
  }

  /** The conversation was changed other than by appending (a handoff's new system prompt): the next call queries it. */
  conversationRewritten(): void {
    this.afterLastCall = undefined;
  }

  /**
   * The messages added since the previous model call (tool results, a repair prompt), when small. The worker that
   * made that call still holds the conversation up to it, so with the tail it has the whole conversation without
   * querying the workflow: one round trip less per step. Each message enters history at most once more this way
   * (bounded by the size cap); any other worker, or a conversation changed otherwise, falls back to the query.
   */
  private conversationTail(): InvokeModelInput['tail'] {
    const { messages } = this.state;
    if (!this.calledModel) {
      this.calledModel = true;
      // The first call of a run that only grows: the opening messages and the recorded spec, when small, so even
      // the first call needs no query (they are in the workflow's input already; they enter history once more).
      if (!this.config.appendOnly) return undefined;
      const { toolDefinitions: tools, outputSchema } = this.config;
      const spec =
        tools || outputSchema ? { ...(tools ? { tools } : {}), ...(outputSchema ? { outputSchema } : {}) } : undefined;
      const chars = charsOf(messages) + (spec ? JSON.stringify(spec).length : 0);
      return chars <= maxTailChars && messages.length <= maxTailMessages
        ? { from: 0, after: '', messages, ...(spec ? { spec } : {}) }
        : undefined;
    }
    const known = this.afterLastCall;
    if (!known || messages[0] !== known.first || messages.length < known.count) return undefined;
    const tail = messages.slice(known.count);
    return charsOf(tail) <= maxTailChars && tail.length <= maxTailMessages
      ? { from: known.count, after: known.replyId, messages: tail }
      : undefined;
  }

  private onApprovalWait(waiting: boolean): void {
    if (waiting) this.setStatus('awaiting_approval');
    else if (this.status === 'awaiting_approval' && !this.stopRequested) this.setStatus('running');
  }

  /**
   * The tool-call activity for `name`: on the task queue its recorded definition names, else the run's own; a local
   * activity for tools recorded as `local`. The patch keeps histories of workers that called every tool remotely
   * (runs started before, or handled by an older worker during a rolling deploy) replaying as they were recorded.
   * `summary` labels the call in the Temporal UI's timeline.
   */
  private callTool(name: string, summary: string): (input: CallToolInput) => Promise<CallToolResult> {
    const runner = this.toolRunner;
    if (runner?.handles(name)) return (input) => runner.call(input, summary);
    const definition = this.config.toolDefinitions?.find((tool) => tool.name === name);
    if (definition?.taskQueue)
      return (input) => callToolOn(definition.taskQueue).executeWithOptions({ summary }, [input]);
    if (definition?.local && (this.config.patchedChanges === false || patched('local-tool-calls')))
      return (input) => callToolLocally().executeWithOptions({ summary }, [input]);
    return (input) => this.activities.callTool.executeWithOptions({ summary }, [input]);
  }

  /** Parks the run as `paused`, with the quota error in state, until resumed (or the quota period rolls over). */
  async pauseForQuota(refusal: AdmissionRefusal, step: number): Promise<void> {
    this.error = { type: refusal.type, message: refusal.message };
    this.state.pauseRequested = true;
    await this.commitCarried();
    this.setStatus('paused');
    setCurrentDetails(`paused at step ${step}: ${refusal.message}`);
    log.info('Quota exceeded; run paused until resumed', { step });
    const resetsInMs = refusal.details.resetsInMs;
    // Stop cancels the step scope, which ends this wait too.
    await condition(
      () => !this.state.pauseRequested,
      typeof resetsInMs === 'number' && resetsInMs > 0 ? resetsInMs : undefined,
    );
    this.state.pauseRequested = false;
    this.error = undefined;
    this.setStatus('running');
  }

  /** Structured output: the answer, or a repair step (once), or `OutputInvalid`. */
  private checkOutput(reply: InvokeModelResult): StepOutcome {
    const schema = this.config.outputSchema;
    if (!schema) return 'answer';
    const { structuredVerdict } = require('./structured-repair') as typeof StructuredRepair;
    const verdict = structuredVerdict(reply, schema, this.state);
    if (verdict.outcome === 'repair') return 'continue';
    this.output = verdict.output;
    return 'answer';
  }
}
