/**
 * Zod schemas of session inputs and messages (`session.ts` holds the types), and `resolveSession` for the client.
 *
 * Client and activity side only; the session workflow checks its input by hand (workflows/session-input.ts).
 */
import { z } from 'zod';
import { chatMessageSchema, usageSchema } from './conversation-schema';
import { describeZodError, ErrorType } from './errors';
import { runIdSchema, userIdSchema } from './run';
import {
  resolveSessionConfig,
  sessionStrategies,
  summaryModes,
  type CarriedSessionState,
  type MemoryOptions,
  type SessionConfig,
  type SessionInput,
  type SessionResolution,
  type SessionRunOptions,
  type SessionSummary,
  type TurnRecord,
} from './session';
import type { SendMessageInput } from './session-messages';

export const sessionIdSchema = runIdSchema;

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
  .strict() satisfies z.ZodType<MemoryOptions>;

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
  .strict() satisfies z.ZodType<SessionRunOptions>;

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
}) satisfies z.ZodType<TurnRecord>;

export const sessionSummarySchema = z.object({
  text: z.string(),
  throughTurn: z.number().int().nonnegative(),
}) satisfies z.ZodType<SessionSummary>;

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
}) satisfies z.ZodType<CarriedSessionState>;

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
export const sessionConfigSchema = z.object(configShape).strict() satisfies z.ZodType<SessionConfig>;
export const sessionInputSchema = z
  .object({ ...configShape, carried: carriedSessionStateSchema.optional() })
  .strict() satisfies z.ZodType<SessionInput>;

export const sendMessageInputSchema = z
  .object({ message: z.string().min(1).max(100_000) })
  .strict() satisfies z.ZodType<SendMessageInput>;

/** Checks a session input completely (shape with zod, then template, model and tools); the client calls it before starting. */
export function resolveSession(raw: unknown): SessionResolution {
  const parsed = sessionInputSchema.safeParse(raw);
  if (!parsed.success)
    return {
      ok: false,
      type: ErrorType.InvalidInput,
      message: `Invalid session input: ${describeZodError(parsed.error)}`,
    };
  return resolveSessionConfig(parsed.data);
}
