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
  proxyActivities,
  setCurrentDetails,
} from '@temporalio/workflow';
import type { AgentActivities } from '../activities';
import { addUsage, type ChatMessage, type Usage } from '../agents/conversation';
import { agentFailure, ErrorType, nonRetryableErrorTypes } from '../agents/errors';
import type { ConversationSlice } from '../agents/messages';
import type { RunStatus } from '../agents/run';
import { checkStructuredAnswer } from '../agents/structured-output';

/** Query pages stay well under gRPC's 4 MB message limit. */
const conversationPageBytes = 1_000_000;

export interface LoopConfig {
  template: string;
  model: string;
  tools: string[];
  user: string;
  /** Start-to-close timeout of one model call, in seconds. */
  modelTimeoutSeconds: number;
  /** JSON Schema a final answer must satisfy (structured output). */
  outputSchema?: Record<string, unknown>;
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

  constructor(
    readonly config: LoopConfig,
    readonly state: LoopState,
    private readonly onStatus: (status: RunStatus) => void,
  ) {
    const retry = { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', nonRetryableErrorTypes };
    // proxyActivities returns a Proxy: pick functions off it, never spread it.
    const { invokeModel } = proxyActivities<AgentActivities>({
      startToCloseTimeout: `${config.modelTimeoutSeconds}s`,
      heartbeatTimeout: '10s',
      retry: { ...retry, maximumAttempts: 10 },
    });
    const { callTool } = proxyActivities<AgentActivities>({ startToCloseTimeout: '60s', retry: { ...retry, maximumAttempts: 3 } });
    this.activities = { invokeModel, callTool };
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
    this.status = status;
    this.onStatus(status);
    if (status !== 'running') setCurrentDetails(status);
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

  conversationSlice({ from, to }: { from: number; to: number }): ConversationSlice {
    const { messages: all } = this.state;
    const start = Math.max(0, Math.min(from, all.length));
    const end = Math.max(start, Math.min(to, all.length));
    const messages: ChatMessage[] = [];
    let bytes = 0;
    for (let i = start; i < end; i++) {
      bytes += JSON.stringify(all[i]).length;
      if (messages.length > 0 && bytes > conversationPageBytes) break;
      messages.push(all[i]);
    }
    return { from: start, messages, total: all.length };
  }

  private async modelAndTools(maxSteps: number): Promise<StepOutcome> {
    const { config, state } = this;
    const step = state.step + 1;
    setCurrentDetails(`step ${step} of at most ${maxSteps}: calling ${config.model}`);
    const reply = await this.activities.invokeModel({
      step,
      model: config.model,
      tools: config.tools,
      messageCount: state.messages.length,
      user: config.user,
      template: config.template,
      timeoutMs: config.modelTimeoutSeconds * 1000,
    });
    state.messages.push(reply.message);
    addUsage(state.usage, { ...reply.usage, modelCalls: 1 });

    const calls = reply.message.toolCalls ?? [];
    if (calls.length > 0) {
      const results = await Promise.all(
        calls.map((call) =>
          this.activities.callTool({ step, toolCallId: call.id, name: call.name, args: call.args, allowed: config.tools, user: config.user, template: config.template }),
        ),
      );
      calls.forEach((call, i) => state.messages.push({ role: 'tool', toolCallId: call.id, name: call.name, content: results[i].content, isError: results[i].isError || undefined }));
      addUsage(state.usage, { toolCalls: calls.length });
      state.step++;
      return 'continue';
    }
    state.step++;
    return this.checkOutput(reply.message.content);
  }

  /** Structured output: validate, allow one repair attempt, then fail with `OutputInvalid`. */
  private checkOutput(answer: string): StepOutcome {
    const schema = this.config.outputSchema;
    if (!schema) return 'answer';
    const check = checkStructuredAnswer(answer, schema);
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
