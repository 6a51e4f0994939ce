/**
 * Sessions: the wire types, zod schemas and messages of `sessionWorkflow`, declared once for the workflow,
 * the client (`SessionManager`), the CLI and operators.
 *
 * Safe to import from workflow code (pure). The updates and queries are in `session-messages.ts`, re-exported here.
 * A session is one long-lived workflow holding a conversation; each `sendMessage` update runs one agent turn.
 */
import { z } from 'zod';
import { chatMessageSchema, usageSchema, type ChatMessage, type Usage } from './conversation';
import { describeZodError, ErrorType } from './errors';
import { modelSpecSchema } from './model-spec';
import { runIdSchema, userIdSchema } from './run';
import { chatTemplate, findTemplate, reactTemplate } from './templates';
import { toolNames, unknownTools } from './tool-specs';

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

export const sessionIdSchema = runIdSchema;

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

export const memoryOptionsSchema = z
  .object({
    /** Turns kept word for word and sent to the model. Default 40. */
    keepTurns: z.number().int().min(1).max(1_000).optional(),
    /** Characters of kept turns sent to the model. Default 120,000 (about 30k tokens). */
    maxChars: z.number().int().min(1_000).max(1_000_000).optional(),
    /** What happens to turns that leave the window. Default `digest`. */
    summary: z.enum(summaryModes).optional(),
    /** Longest summary, in characters. Default 4,000. */
    summaryMaxChars: z.number().int().min(200).max(50_000).optional(),
  })
  .strict();
export type MemoryOptions = z.infer<typeof memoryOptionsSchema>;

export const sessionRunOptionsSchema = z
  .object({
    /** Continue-as-new after this many turns in one run. Default 200. */
    continueAsNewEveryTurns: z.number().int().min(1).max(100_000).optional(),
    /** Continue-as-new once history has this many events. Default 8,000. */
    historyEventLimit: z.number().int().min(100).max(40_000).optional(),
    /** Continue-as-new once history has this many bytes. Default 8 MB. */
    historyByteLimit: z.number().int().min(100_000).max(40_000_000).optional(),
    /** Start-to-close timeout of one model call, in seconds. Default 300. */
    modelTimeoutSeconds: z.number().int().min(1).max(3600).optional(),
    /** Stream model output to `tokens` query readers while turns run (as runs do). Default false. */
    streamTokens: z.boolean().optional(),
  })
  .strict();

export const turnRecordSchema = z.object({
  turn: z.number().int().nonnegative(),
  /** The turn's messages: the user message, then assistant and tool messages. */
  messages: z.array(chatMessageSchema),
  status: z.enum(['completed', 'interrupted', 'stopped']),
  finishReason: z.enum(['answer', 'max_steps', 'interrupted', 'stopped']),
  /** Usage of this turn. */
  usage: usageSchema,
  /** The session's usage after this turn (in a fork, inherited turns keep the parent's figures). */
  totalUsage: usageSchema,
  /** When the turn ended, epoch milliseconds. */
  at: z.number(),
});
export type TurnRecord = z.infer<typeof turnRecordSchema>;

export const sessionSummarySchema = z.object({ text: z.string(), throughTurn: z.number().int().nonnegative() });
/** Turns 1..throughTurn folded into text (see `summaryModes`). */
export type SessionSummary = z.infer<typeof sessionSummarySchema>;

/** State carried across continue-as-new, and into a fork: one plain object, no Maps or classes. */
export const carriedSessionStateSchema = z.object({
  /** Turns kept word for word, oldest first. */
  turns: z.array(turnRecordSchema),
  summary: sessionSummarySchema.optional(),
  turnCount: z.number().int().nonnegative(),
  /** Model calls made by the session (turns and summaries); numbers each call uniquely. */
  steps: z.number().int().nonnegative(),
  usage: usageSchema,
  pauseRequested: z.boolean(),
  /** Epoch milliseconds; the workflow's start time when absent. */
  createdAt: z.number().optional(),
  lastActivityAt: z.number().optional(),
  continuations: z.number().int().nonnegative(),
  forkedFrom: z.object({ sessionId: sessionIdSchema, turn: z.number().int().nonnegative() }).optional(),
  /** Durable step events (`events` query), carried so sequence numbers continue. */
  events: z.object({ events: z.array(z.any()), lastSeq: z.number().int().nonnegative() }).optional(),
});
export type CarriedSessionState = z.infer<typeof carriedSessionStateSchema>;

const configShape = {
  user: userIdSchema,
  /** `chat` or `react`. */
  template: z.string().min(1).max(100),
  /** Model spec `provider:model`. */
  model: z.string().min(1).max(200),
  /** Idle time after which the session closes itself, in seconds. Default 86,400 (a day); at most a year. */
  ttlSeconds: z.number().int().min(1).max(31_536_000).optional(),
  strategy: z.enum(sessionStrategies).optional(),
  /** Tools of a `react` session; all built-in tools when omitted. */
  tools: z.array(z.string().min(1).max(100)).max(50).optional(),
  /** Steps (model calls) one `react` turn may take. Default 8; `chat` always 1. */
  maxStepsPerTurn: z.number().int().min(1).max(100).optional(),
  /** Replaces the template's system prompt. */
  systemPrompt: z.string().min(1).max(20_000).optional(),
  memory: memoryOptionsSchema.optional(),
  options: sessionRunOptionsSchema.optional(),
};
export const sessionConfigSchema = z.object(configShape).strict();
export type SessionConfig = z.infer<typeof sessionConfigSchema>;
export const sessionInputSchema = z.object({ ...configShape, carried: carriedSessionStateSchema.optional() }).strict();
/** Workflow input. `carried` is set by the workflow when it continues as new, and by `fork`. */
export type SessionInput = z.infer<typeof sessionInputSchema>;

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
  options: Required<z.infer<typeof sessionRunOptionsSchema>>;
}

export type SessionResolution = { ok: true; session: ResolvedSession } | { ok: false; type: ErrorType; message: string };

/** Checks a session input completely; the client calls it before starting and the workflow again on entry. */
export function resolveSession(raw: unknown): SessionResolution {
  const parsed = sessionInputSchema.safeParse(raw);
  if (!parsed.success) return { ok: false, type: ErrorType.InvalidInput, message: `Invalid session input: ${describeZodError(parsed.error)}` };
  const input = parsed.data;
  if (!findTemplate(input.template)) {
    return { ok: false, type: ErrorType.UnknownTemplate, message: `Unknown template "${input.template}"; sessions use ${sessionTemplateNames.join(' or ')}` };
  }
  if (input.template !== 'chat' && input.template !== 'react') {
    return {
      ok: false,
      type: ErrorType.InvalidInput,
      message: `Template "${input.template}" cannot hold a conversation; sessions use ${sessionTemplateNames.join(' or ')} (start a run for a one-shot "${input.template}" answer)`,
    };
  }
  const model = modelSpecSchema.safeParse(input.model);
  if (!model.success) return { ok: false, type: ErrorType.UnknownModel, message: describeZodError(model.error) };
  if (input.template === 'chat' && (input.tools?.length || input.maxStepsPerTurn !== undefined)) {
    return { ok: false, type: ErrorType.InvalidInput, message: 'A chat session takes no tools and one step per turn; use template "react" for tools' };
  }
  const tools = input.template === 'react' ? (input.tools ?? toolNames) : [];
  const unknown = unknownTools(tools);
  if (unknown.length > 0) return { ok: false, type: ErrorType.UnknownTool, message: `Unknown tool(s) ${unknown.join(', ')}; available: ${toolNames.join(', ')}` };
  const d = sessionDefaults;
  return {
    ok: true,
    session: {
      input,
      template: input.template,
      systemPrompt: input.systemPrompt ?? (input.template === 'chat' ? chatTemplate : reactTemplate).systemPrompt,
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
export function memoryMessages(systemPrompt: string, summary: SessionSummary | undefined, turns: TurnRecord[]): ChatMessage[] {
  const messages: ChatMessage[] = [{ role: 'system', content: systemPrompt }];
  if (summary?.text) messages.push(summaryMessage(summary));
  for (const turn of turns) messages.push(...turn.messages);
  return messages;
}

export * from './session-messages';
export type { ChatMessage, Usage };
