/**
 * `agentRunWorkflow`: the agent loop (model step, tool steps, repeat) as a durable workflow.
 *
 * Deterministic code only. The conversation lives in workflow state; activities read it by query, so
 * each message enters history once. Long runs continue-as-new carrying one plain state object.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  allHandlersFinished,
  CancellationScope,
  condition,
  continueAsNew,
  isCancellation,
  log,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { AgentActivities } from '../activities';
import { addUsage, emptyUsage, type ChatMessage, type Usage } from '../agents/conversation';
import { agentFailure, ErrorType, nonRetryableErrorTypes } from '../agents/errors';
import { conversationQuery, messageDescriptions, pauseSignal, resumeSignal, stateQuery, stopSignal, type ConversationSlice } from '../agents/messages';
import { resolveRun, type FinishReason, type ResolvedRun, type RunInput, type RunResult, type RunState, type RunStatus } from '../agents/run';
import { agentStatusKey } from '../agents/search-attributes';
import { checkStructuredAnswer } from '../agents/structured-output';

/** Query pages stay well under gRPC's 4 MB message limit. */
const conversationPageBytes = 1_000_000;
const defaultHistoryEventLimit = 8_000;
const defaultHistoryByteLimit = 8_000_000;

export async function agentRunWorkflow(input: RunInput): Promise<RunResult> {
  const resolution = resolveRun(input);
  if (!resolution.ok) {
    upsertSearchAttributes([{ key: agentStatusKey, value: 'failed' }]);
    throw agentFailure(resolution.type, resolution.message, { nonRetryable: true });
  }
  const run = new AgentRun(resolution.run);
  run.registerHandlers();
  return run.execute();
}

type StepOutcome = 'continue' | 'answer' | 'stopped';

class AgentRun {
  private readonly messages: ChatMessage[];
  private step: number;
  private readonly usage: Usage;
  private pauseRequested: boolean;
  private stopRequested = false;
  private repairsUsed: number;
  private readonly continuations: number;
  private status: RunStatus = 'running';
  private error?: { type: string; message: string };
  private output?: unknown;
  /** Scope of the step in flight, cancelled by `stop` so the model call is aborted. */
  private stepScope?: CancellationScope;
  private readonly activities: AgentActivities;

  constructor(private readonly run: ResolvedRun) {
    const carried = run.input.carried;
    this.messages = carried?.messages ?? run.template.openingMessages(run.templateInput);
    this.step = carried?.step ?? 0;
    this.usage = carried?.usage ?? emptyUsage();
    this.pauseRequested = carried?.pauseRequested ?? false;
    this.repairsUsed = carried?.repairsUsed ?? 0;
    this.continuations = carried?.continuations ?? 0;
    const retry = { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', nonRetryableErrorTypes };
    // proxyActivities returns a Proxy: pick functions off it, never spread it.
    const { invokeModel } = proxyActivities<AgentActivities>({
      startToCloseTimeout: `${run.input.options?.modelTimeoutSeconds ?? 300}s`,
      heartbeatTimeout: '10s',
      retry: { ...retry, maximumAttempts: 10 },
    });
    const { callTool } = proxyActivities<AgentActivities>({ startToCloseTimeout: '60s', retry: { ...retry, maximumAttempts: 3 } });
    this.activities = { invokeModel, callTool };
  }

  registerHandlers(): void {
    setHandler(pauseSignal, () => {
      if (!this.isFinished()) this.pauseRequested = true;
    }, { description: messageDescriptions.pause });
    setHandler(resumeSignal, () => {
      this.pauseRequested = false;
    }, { description: messageDescriptions.resume });
    setHandler(stopSignal, () => {
      if (this.isFinished()) return;
      this.stopRequested = true;
      this.stepScope?.cancel();
    }, { description: messageDescriptions.stop });
    setHandler(stateQuery, () => this.state(), { description: messageDescriptions.state });
    setHandler(conversationQuery, (args) => this.conversationSlice(args), { description: messageDescriptions.conversation });
  }

  async execute(): Promise<RunResult> {
    try {
      for (;;) {
        await this.waitWhilePaused();
        if (this.stopRequested) return this.finish('stopped');
        if (this.step >= this.run.maxSteps) return this.finish('max_steps');
        if (this.historyIsLong()) await this.continueAsNew();
        const outcome = await this.runStep();
        if (outcome === 'answer') return this.finish('answer');
        if (outcome === 'stopped') return this.finish('stopped');
      }
    } catch (err) {
      if (isCancellation(err)) {
        this.setStatus('cancelled');
        throw err;
      }
      // Fail with the activity's typed failure itself, so clients see e.g. `ModelRejected`, not "Activity task failed".
      const failure = err instanceof ActivityFailure && err.cause instanceof ApplicationFailure ? err.cause : err;
      this.error = { type: (failure as { type?: string }).type ?? 'Error', message: failure instanceof Error ? failure.message : String(failure) };
      this.setStatus('failed');
      throw failure;
    }
  }

  private async runStep(): Promise<StepOutcome> {
    const scope = new CancellationScope();
    this.stepScope = scope;
    try {
      return await scope.run(() => this.modelAndTools());
    } catch (err) {
      if (this.stopRequested && isCancellation(err)) return 'stopped';
      throw err;
    } finally {
      this.stepScope = undefined;
    }
  }

  private async modelAndTools(): Promise<StepOutcome> {
    const { input } = this.run;
    setCurrentDetails(`step ${this.step + 1} of at most ${this.run.maxSteps}: calling ${input.model}`);
    const reply = await this.activities.invokeModel({
      step: this.step + 1,
      model: input.model,
      tools: this.run.tools,
      messageCount: this.messages.length,
      user: input.user,
      template: this.run.template.name,
      timeoutMs: (input.options?.modelTimeoutSeconds ?? 300) * 1000,
    });
    this.messages.push(reply.message);
    addUsage(this.usage, { ...reply.usage, modelCalls: 1 });

    const calls = reply.message.toolCalls ?? [];
    if (calls.length > 0) {
      const results = await Promise.all(
        calls.map((call) =>
          this.activities.callTool({ step: this.step + 1, toolCallId: call.id, name: call.name, args: call.args, allowed: this.run.tools, user: input.user, template: this.run.template.name }),
        ),
      );
      calls.forEach((call, i) => this.messages.push({ role: 'tool', toolCallId: call.id, name: call.name, content: results[i].content, isError: results[i].isError || undefined }));
      addUsage(this.usage, { toolCalls: calls.length });
      this.step++;
      return 'continue';
    }
    this.step++;
    return this.checkOutput(reply.message.content);
  }

  /** Structured output: validate, allow one repair attempt, then fail with `OutputInvalid`. */
  private checkOutput(answer: string): StepOutcome {
    const schema = this.run.template.outputSchema?.(this.run.templateInput);
    if (!schema) return 'answer';
    const check = checkStructuredAnswer(answer, schema);
    if (check.ok) {
      this.output = check.value;
      return 'answer';
    }
    if (this.repairsUsed >= 1) throw agentFailure(ErrorType.OutputInvalid, `Structured output still invalid after one repair: ${check.problem}`);
    this.repairsUsed++;
    log.info('Structured output invalid; asking for a repair', { problem: check.problem });
    this.messages.push({ role: 'user', content: `Your answer did not satisfy the schema: ${check.problem}. Reply with only the corrected JSON.` });
    return 'continue';
  }

  private async waitWhilePaused(): Promise<void> {
    if (!this.pauseRequested || this.stopRequested) return;
    this.setStatus('paused');
    setCurrentDetails(`paused after step ${this.step}`);
    // A parked run is just a pending condition: no activity, no worker slot.
    await condition(() => !this.pauseRequested || this.stopRequested);
    this.setStatus('running');
  }

  private historyIsLong(): boolean {
    const info = workflowInfo();
    const options = this.run.input.options;
    return (
      info.continueAsNewSuggested ||
      info.historyLength >= (options?.historyEventLimit ?? defaultHistoryEventLimit) ||
      info.historySize >= (options?.historyByteLimit ?? defaultHistoryByteLimit)
    );
  }

  private async continueAsNew(): Promise<never> {
    await condition(allHandlersFinished);
    const { input } = this.run;
    return continueAsNew<typeof agentRunWorkflow>({
      ...input,
      carried: {
        messages: this.messages,
        step: this.step,
        usage: this.usage,
        pauseRequested: this.pauseRequested,
        repairsUsed: this.repairsUsed,
        continuations: this.continuations + 1,
      },
    });
  }

  private finish(reason: FinishReason): RunResult {
    const status = reason === 'stopped' ? 'stopped' : 'completed';
    this.setStatus(status);
    const lastAnswer = [...this.messages].reverse().find((m) => m.role === 'assistant');
    return {
      runId: workflowInfo().workflowId,
      status,
      finishReason: reason,
      answer: lastAnswer?.content ?? '',
      output: this.output,
      steps: this.step,
      usage: this.usage,
    };
  }

  private setStatus(status: RunStatus): void {
    if (this.status === status) return;
    this.status = status;
    upsertSearchAttributes([{ key: agentStatusKey, value: status }]);
    if (status !== 'running') setCurrentDetails(status);
  }

  private isFinished(): boolean {
    return ['stopped', 'completed', 'failed', 'cancelled'].includes(this.status);
  }

  private state(): RunState {
    const { input } = this.run;
    return {
      runId: workflowInfo().workflowId,
      template: this.run.template.name,
      user: input.user,
      model: input.model,
      status: this.status,
      step: this.step,
      maxSteps: this.run.maxSteps,
      pauseRequested: this.pauseRequested,
      stopRequested: this.stopRequested,
      usage: this.usage,
      messageCount: this.messages.length,
      continuations: this.continuations,
      error: this.error,
    };
  }

  private conversationSlice({ from, to }: { from: number; to: number }): ConversationSlice {
    const start = Math.max(0, Math.min(from, this.messages.length));
    const end = Math.max(start, Math.min(to, this.messages.length));
    const messages: ChatMessage[] = [];
    let bytes = 0;
    for (let i = start; i < end; i++) {
      bytes += JSON.stringify(this.messages[i]).length;
      if (messages.length > 0 && bytes > conversationPageBytes) break;
      messages.push(this.messages[i]);
    }
    return { from: start, messages, total: this.messages.length };
  }
}
