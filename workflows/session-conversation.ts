/**
 * `SessionConversation`: a session's memory and its turns. Each turn is an `AgentLoop` over the memory, so model
 * and tool calls go through the same activities (and middleware) as runs.
 *
 * Deterministic code only. The caller (`Session`) makes sure at most one turn or fold runs at a time.
 */
import { log, setHandler, workflowInfo } from '@temporalio/workflow';
import { addUsage, emptyUsage, type ChatMessage, type Usage } from '../agents/conversation';
import { eventsQuery, messageDescriptions, tokensQuery, type ConversationSlice } from '../agents/messages';
import {
  memoryMessages,
  type CarriedSessionState,
  type CheckpointResult,
  type ResolvedSession,
  type SessionMemoryState,
  type SessionSummary,
  type TurnFinishReason,
  type TurnRecord,
  type TurnReply,
} from '../agents/session';
import { AgentLoop, type LoopConfig } from './agent-loop';
import { setModelCallReportHandlers } from './observation-handlers';
import { RunEventLog } from './run-events';
import { sliceConversation } from './conversation-slice';
import {
  checkpointAt,
  digest,
  dropUnansweredToolCalls,
  lastAnswer,
  messageChars,
  summaryPrompt,
  turnsToFold,
} from './session-memory';
import { TokenStream } from './token-stream';
import { workflowNow } from './clock';

/** Answers `tokens` before the first model call. */
const idleTokens = new TokenStream();

interface RunningTurn {
  turn: number;
  loop: AgentLoop;
  /** Why the turn is being stopped, once it is. */
  reason?: 'interrupted' | 'stopped';
}

export class SessionConversation {
  turns: TurnRecord[];
  summary?: SessionSummary;
  turnCount: number;
  /** Model calls so far; each call gets the next number, so (session id, step) names one call. */
  steps: number;
  readonly usage: Usage;
  current?: RunningTurn;
  /** Durable step events of every turn (`events` query). */
  readonly events: RunEventLog;
  /** The latest turn or summary call: its token stream answers the `tokens` query. */
  lastLoop?: AgentLoop;
  /** What `conversationQuery` answers from: the memory, grown by the running turn, or a summary prompt. */
  private messages: ChatMessage[];
  private readonly loopConfig: LoopConfig;

  constructor(
    private readonly session: ResolvedSession,
    carried: CarriedSessionState | undefined,
  ) {
    this.turns = carried?.turns ?? [];
    this.summary = carried?.summary;
    this.turnCount = carried?.turnCount ?? 0;
    this.steps = carried?.steps ?? 0;
    this.usage = carried?.usage ?? emptyUsage();
    this.events = new RunEventLog(carried?.events);
    this.messages = this.memory();
    const { input, options } = session;
    this.loopConfig = {
      template: session.template,
      model: input.model,
      tools: session.tools,
      user: input.user,
      modelTimeoutSeconds: options.modelTimeoutSeconds,
      streamTokens: options.streamTokens,
    };
  }

  /** Following a session works as for a run: step events of every turn, streamed text of the call in flight. */
  registerObservationHandlers(isClosed: () => boolean): void {
    setHandler(eventsQuery, (args) => this.events.page(args), { description: messageDescriptions.events });
    setHandler(tokensQuery, (args) => (this.lastLoop?.tokens ?? idleTokens).page(args, isClosed()), {
      description: messageDescriptions.tokens,
    });
    setModelCallReportHandlers(() => this.lastLoop);
  }

  memory(): ChatMessage[] {
    return memoryMessages(this.session.systemPrompt, this.summary, this.turns);
  }

  /** The memory part of what crosses continue-as-new. */
  carry(): Pick<CarriedSessionState, 'turns' | 'summary' | 'turnCount' | 'steps' | 'usage' | 'events'> {
    return {
      turns: this.turns,
      summary: this.summary,
      turnCount: this.turnCount,
      steps: this.steps,
      usage: this.usage,
      events: this.events.carry(),
    };
  }

  slice(args: { from: number; to: number }): ConversationSlice {
    return sliceConversation(this.messages, args);
  }

  checkpoint(turn: unknown): CheckpointResult {
    const { turns, summary, turnCount } = this;
    return checkpointAt(
      { sessionId: workflowInfo().workflowId, systemPrompt: this.session.systemPrompt, turns, summary, turnCount },
      turn,
    );
  }

  memoryState(): SessionMemoryState {
    const context = this.memory();
    const { memory } = this.session;
    return {
      keptTurns: this.turns.length,
      firstKeptTurn: this.turns[0]?.turn,
      summaryThroughTurn: this.summary?.throughTurn ?? 0,
      summary: memory.summary,
      keepTurns: memory.keepTurns,
      maxChars: memory.maxChars,
      contextMessages: context.length,
      contextChars: messageChars(context),
    };
  }

  pause(): void {
    this.current?.loop.pause();
  }

  resume(): void {
    this.current?.loop.resume();
  }

  /** Stops the running turn; its reply says why. */
  interrupt(reason: 'interrupted' | 'stopped'): void {
    if (!this.current || this.current.reason) return;
    this.current.reason = reason;
    this.current.loop.stop();
  }

  /** Keeps memory within its bounds before a turn (see `session-memory.ts`). */
  async fold(): Promise<void> {
    const n = turnsToFold(this.turns, this.session.memory);
    if (n === 0) return;
    const folded = this.turns.slice(0, n);
    const { summary: mode, summaryMaxChars } = this.session.memory;
    const throughTurn = folded[folded.length - 1].turn;
    if (mode === 'none') this.summary = { text: '', throughTurn };
    else if (mode === 'digest') this.summary = digest(this.summary, folded, summaryMaxChars);
    else this.summary = await this.summarize(folded, throughTurn);
    this.turns = this.turns.slice(n);
    this.messages = this.memory();
  }

  /** Runs one turn on `message`; a failed turn leaves memory as it was (its usage still counts). */
  async run(message: string, pauseRequested: boolean): Promise<TurnReply> {
    const turn = this.turnCount + 1;
    const context = this.memory();
    const start = context.length;
    context.push({ role: 'user', content: message });
    this.messages = context;
    const firstStep = this.steps;
    const loop = this.newLoop(this.loopConfig, context, pauseRequested);
    this.current = { turn, loop };
    let finishReason: TurnFinishReason;
    try {
      finishReason = await this.drive(loop, firstStep + this.session.maxStepsPerTurn);
    } catch (err) {
      // The failed call's number is not reused: middleware may have recorded it.
      this.steps = loop.state.step + 1;
      addUsage(this.usage, loop.state.usage);
      this.messages = this.memory();
      // The loop marks the event log done when it fails; the session goes on.
      this.events.done = false;
      // A Temporal failure (the activity's typed ApplicationFailure) fails this update only, not the session.
      throw loop.fail(err);
    } finally {
      this.current = undefined;
    }
    dropUnansweredToolCalls(context, start);
    const messages = context.slice(start);
    const usage = loop.state.usage;
    addUsage(this.usage, usage);
    this.steps = loop.state.step;
    const status = finishReason === 'interrupted' || finishReason === 'stopped' ? finishReason : 'completed';
    this.turns.push({ turn, messages, status, finishReason, usage, totalUsage: { ...this.usage }, at: workflowNow() });
    this.turnCount = turn;
    this.messages = this.memory();
    return {
      sessionId: workflowInfo().workflowId,
      turn,
      status,
      finishReason,
      answer: lastAnswer(messages),
      steps: loop.state.step - firstStep,
      usage,
    };
  }

  private newLoop(config: LoopConfig, messages: ChatMessage[], pauseRequested: boolean): AgentLoop {
    const state = { messages, step: this.steps, usage: emptyUsage(), repairsUsed: 0, pauseRequested };
    this.lastLoop = new AgentLoop(config, state, () => undefined, this.events);
    return this.lastLoop;
  }

  private async drive(loop: AgentLoop, lastStep: number): Promise<TurnFinishReason> {
    const stopped = () => this.current?.reason ?? 'stopped';
    for (;;) {
      if (loop.parkRequested) await loop.waitWhilePaused();
      if (loop.stopRequested) return stopped();
      if (loop.state.step >= lastStep) return 'max_steps';
      const outcome = await loop.runStep(lastStep);
      if (outcome === 'answer') return 'answer';
      if (outcome === 'stopped') return stopped();
    }
  }

  /** One model call through `invokeModel`, reading the summary prompt through `conversationQuery`. */
  private async summarize(folded: TurnRecord[], throughTurn: number): Promise<SessionSummary> {
    const { summaryMaxChars } = this.session.memory;
    const prompt = summaryPrompt(this.summary, folded, summaryMaxChars);
    const loop = this.newLoop({ ...this.loopConfig, tools: [] }, prompt, false);
    this.messages = prompt;
    try {
      await loop.runStep(this.steps + 1);
      const text = loop.lastAnswer().trim().slice(0, summaryMaxChars);
      if (text) return { text, throughTurn };
      log.warn('Summary call returned no text; keeping a digest instead', { throughTurn });
    } catch (err) {
      // Losing the folded turns is worse than a plainer summary.
      log.warn('Summary call failed; keeping a digest instead', {
        throughTurn,
        error: String((err as Error)?.message ?? err),
      });
      loop.state.step = Math.max(loop.state.step, this.steps + 1);
    } finally {
      this.steps = loop.state.step;
      this.events.done = false;
      addUsage(this.usage, loop.state.usage);
    }
    return digest(this.summary, folded, summaryMaxChars);
  }
}
