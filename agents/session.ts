/**
 * Sessions: the wire types, zod schemas and messages of `sessionWorkflow`, declared once for the workflow,
 * the client (`SessionManager`), the CLI and operators.
 *
 * Safe to import from workflow code (pure, no zod: the schemas are in `session-schema.ts`). The updates and queries
 * are in `session-messages.ts`, re-exported here.
 * A session is one long-lived workflow holding a conversation; each `sendMessage` update runs one agent turn.
 */
import type { ChatMessage, Usage } from './conversation';
import { ErrorType } from './errors';
import { parseModelSpec } from './model-spec';
import { builtinToolNames, chatSystemPrompt, reactSystemPrompt } from './templates/prompts';

/** Templates a session can use. `structured` is a one-shot JSON answer, which has no meaning per turn: use a run. */
export const sessionTemplateNames = ['chat', 'react'] as const;
/** What a message sent while a turn runs does: wait its turn, fail with `SessionBusy`, or stop the running turn. */
export const sessionStrategies = ['enqueue', 'reject', 'interrupt'] as const;
export type SessionStrategy = (typeof sessionStrategies)[number];
/** How turns that leave the memory window are kept: word-for-word digest lines, a model-written summary, or not at all. */
export const summaryModes = ['digest', 'model', 'none'] as const;
export type SummaryMode = (typeof summaryModes)[number];
/** Values of the `AgentStatus` search attribute of a session (what `ls --status` filters on). */
export const sessionListStatuses = ['open', 'paused', 'closed'] as const;
export type SessionListStatus = (typeof sessionListStatuses)[number];
export type SessionStatus = 'idle' | 'running' | 'paused' | 'closing' | 'closed';
export type CloseReason = 'closed' | 'expired' | 'stopped';
export type TurnStatus = 'completed' | 'interrupted' | 'stopped';
export type TurnFinishReason = 'answer' | 'max_steps' | 'interrupted' | 'stopped';

/** Defaults, in the units of the option names. */
export const sessionDefaults = {
  ttlSeconds: 86_400,
  strategy: 'enqueue' as SessionStrategy,
  maxStepsPerTurn: 8,
  keepTurns: 40,
  maxChars: 120_000,
  summary: 'digest' as SummaryMode,
  summaryMaxChars: 4_000,
  continueAsNewEveryTurns: 200,
  historyEventLimit: 8_000,
  historyByteLimit: 8_000_000,
  modelTimeoutSeconds: 300,
};

export interface MemoryOptions {
  /** Turns kept word for word and sent to the model. Default 40. */
  keepTurns?: number;
  /** Characters of kept turns sent to the model. Default 120,000 (about 30k tokens). */
  maxChars?: number;
  /** What happens to turns that leave the window. Default `digest`. */
  summary?: SummaryMode;
  /** Longest summary, in characters. Default 4,000. */
  summaryMaxChars?: number;
}

export interface SessionRunOptions {
  /** Continue-as-new after this many turns in one run. Default 200. */
  continueAsNewEveryTurns?: number;
  /** Continue-as-new once history has this many events. Default 8,000. */
  historyEventLimit?: number;
  /** Continue-as-new once history has this many bytes. Default 8 MB. */
  historyByteLimit?: number;
  /** Start-to-close timeout of one model call, in seconds. Default 300. */
  modelTimeoutSeconds?: number;
  /** Stream model output to `tokens` query readers while turns run (as runs do). Default false. */
  streamTokens?: boolean;
}

export interface TurnRecord {
  turn: number;
  /** The turn's messages: the user message, then assistant and tool messages. */
  messages: ChatMessage[];
  status: TurnStatus;
  finishReason: TurnFinishReason;
  /** Usage of this turn. */
  usage: Usage;
  /** The session's usage after this turn (in a fork, inherited turns keep the parent's figures). */
  totalUsage: Usage;
  /** When the turn ended, epoch milliseconds. */
  at: number;
}

/** Turns 1..throughTurn folded into text (see `summaryModes`). */
export interface SessionSummary {
  text: string;
  throughTurn: number;
}

/** State carried across continue-as-new, and into a fork: one plain object, no Maps or classes. */
export interface CarriedSessionState {
  /** Turns kept word for word, oldest first. */
  turns: TurnRecord[];
  summary?: SessionSummary;
  turnCount: number;
  /** Model calls made by the session (turns and summaries); numbers each call uniquely. */
  steps: number;
  usage: Usage;
  pauseRequested: boolean;
  /** Epoch milliseconds; the workflow's start time when absent. */
  createdAt?: number;
  lastActivityAt?: number;
  continuations: number;
  forkedFrom?: { sessionId: string; turn: number };
  /** Durable step events (`events` query), carried so sequence numbers continue. */
  events?: { events: any[]; lastSeq: number };
}

export interface SessionConfig {
  user: string;
  /** `chat` or `react`. */
  template: string;
  /** Model spec `provider:model`. */
  model: string;
  /** Idle time after which the session closes itself, in seconds. Default 86,400 (a day); at most a year. */
  ttlSeconds?: number;
  strategy?: SessionStrategy;
  /** Tools of a `react` session; all built-in tools when omitted. */
  tools?: string[];
  /** Steps (model calls) one `react` turn may take. Default 8; `chat` always 1. */
  maxStepsPerTurn?: number;
  /** Replaces the template's system prompt. */
  systemPrompt?: string;
  memory?: MemoryOptions;
  options?: SessionRunOptions;
}

/** Workflow input. `carried` is set by the workflow when it continues as new, and by `fork`. */
export interface SessionInput extends SessionConfig {
  carried?: CarriedSessionState;
}

/** A session input with every default applied. */
export interface ResolvedSession {
  input: SessionInput;
  template: 'chat' | 'react';
  systemPrompt: string;
  tools: string[];
  maxStepsPerTurn: number;
  ttlSeconds: number;
  strategy: SessionStrategy;
  memory: Required<MemoryOptions>;
  options: Required<SessionRunOptions>;
}

export type SessionResolution =
  { ok: true; session: ResolvedSession } | { ok: false; type: ErrorType; message: string };

const builtinTools: readonly string[] = builtinToolNames;

/**
 * Resolves a session input whose shape is already checked (zod on the client, by hand in the workflow):
 * template, model, tools and every default.
 */
export function resolveSessionConfig(input: SessionInput): SessionResolution {
  if (!['chat', 'react', 'structured'].includes(input.template)) {
    return {
      ok: false,
      type: ErrorType.UnknownTemplate,
      message: `Unknown template "${input.template}"; sessions use ${sessionTemplateNames.join(' or ')}`,
    };
  }
  if (input.template !== 'chat' && input.template !== 'react') {
    return {
      ok: false,
      type: ErrorType.InvalidInput,
      message: `Template "${input.template}" cannot hold a conversation; sessions use ${sessionTemplateNames.join(' or ')} (start a run for a one-shot "${input.template}" answer)`,
    };
  }
  const model = parseModelSpec(input.model);
  if ('error' in model) return { ok: false, type: ErrorType.UnknownModel, message: model.error };
  if (input.template === 'chat' && (input.tools?.length || input.maxStepsPerTurn !== undefined)) {
    return {
      ok: false,
      type: ErrorType.InvalidInput,
      message: 'A chat session takes no tools and one step per turn; use template "react" for tools',
    };
  }
  const tools = input.template === 'react' ? (input.tools ?? [...builtinTools]) : [];
  const unknown = tools.filter((name) => !builtinTools.includes(name));
  if (unknown.length > 0)
    return {
      ok: false,
      type: ErrorType.UnknownTool,
      message: `Unknown tool(s) ${unknown.join(', ')}; available: ${builtinTools.join(', ')}`,
    };
  const d = sessionDefaults;
  return {
    ok: true,
    session: {
      input,
      template: input.template,
      systemPrompt: input.systemPrompt ?? (input.template === 'chat' ? chatSystemPrompt : reactSystemPrompt),
      tools,
      maxStepsPerTurn: input.template === 'chat' ? 1 : (input.maxStepsPerTurn ?? d.maxStepsPerTurn),
      ttlSeconds: input.ttlSeconds ?? d.ttlSeconds,
      strategy: input.strategy ?? d.strategy,
      memory: {
        keepTurns: input.memory?.keepTurns ?? d.keepTurns,
        maxChars: input.memory?.maxChars ?? d.maxChars,
        summary: input.memory?.summary ?? d.summary,
        summaryMaxChars: input.memory?.summaryMaxChars ?? d.summaryMaxChars,
      },
      options: {
        continueAsNewEveryTurns: input.options?.continueAsNewEveryTurns ?? d.continueAsNewEveryTurns,
        historyEventLimit: input.options?.historyEventLimit ?? d.historyEventLimit,
        historyByteLimit: input.options?.historyByteLimit ?? d.historyByteLimit,
        modelTimeoutSeconds: input.options?.modelTimeoutSeconds ?? d.modelTimeoutSeconds,
        streamTokens: input.options?.streamTokens ?? false,
      },
    },
  };
}

/** The user message that stands for folded turns (LangChain's summarization middleware does the same). */
export function summaryMessage(summary: SessionSummary): ChatMessage {
  const header = `Here is a summary of this conversation up to turn ${summary.throughTurn} (those turns are not kept word for word):`;
  return { role: 'user', content: `${header}\n\n${summary.text}` };
}

/** What the model sees at the end of a turn: system prompt, summary of folded turns, kept turns. */
export function memoryMessages(
  systemPrompt: string,
  summary: SessionSummary | undefined,
  turns: TurnRecord[],
): ChatMessage[] {
  const messages: ChatMessage[] = [{ role: 'system', content: systemPrompt }];
  if (summary?.text) messages.push(summaryMessage(summary));
  for (const turn of turns) messages.push(...turn.messages);
  return messages;
}

export * from './session-messages';
export type { ChatMessage, Usage };
