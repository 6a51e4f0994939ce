/**
 * The error types of every layer: client, CLI, workflows, activities, payload codecs. One table, documented
 * for operators in docs/errors.md (who raises each, whether Temporal retries it).
 *
 * Safe to import from workflow code: it only depends on `@temporalio/common` (zod as types only).
 * Every failure we raise carries one of these stable `type` strings so callers can branch on it.
 */
import { ApplicationFailure, type Duration } from '@temporalio/common';
import type { z } from 'zod';

export const ErrorType = {
  /** Input failed validation (client call, signal, update, activity input, config). */
  InvalidInput: 'InvalidInput',
  /** No template registered under that name. */
  UnknownTemplate: 'UnknownTemplate',
  /** A tool name that is not in the tool catalog. */
  UnknownTool: 'UnknownTool',
  /** A model spec whose provider is not supported or is misconfigured. */
  UnknownModel: 'UnknownModel',
  /** Policy forbids this user the template, model or tool. */
  PermissionDenied: 'PermissionDenied',
  /** The user's request rate is over its limit. */
  RateLimited: 'RateLimited',
  /** The user's token or money budget for the period is spent. */
  QuotaExceeded: 'QuotaExceeded',
  /** The model provider throttled us (HTTP 429); retried with backoff. */
  ModelRateLimited: 'ModelRateLimited',
  /** The model provider failed or timed out (5xx, network); retried with backoff. */
  ModelUnavailable: 'ModelUnavailable',
  /** The model provider refused the request (400, 401, 403, 404); not retried. */
  ModelRejected: 'ModelRejected',
  /** The model answered with something we cannot use (bad tool-call shape, malformed JSON). */
  ModelOutputInvalid: 'ModelOutputInvalid',
  /** Structured output still failed its JSON Schema after the repair attempt. */
  OutputInvalid: 'OutputInvalid',
  /** A tool's server (an MCP server) could not be reached; retried with backoff. */
  ToolUnavailable: 'ToolUnavailable',
  /** A payload would exceed Temporal's limits. */
  PayloadTooLarge: 'PayloadTooLarge',
  /** No run, session or schedule with that id. */
  NotFound: 'NotFound',
  /** A schedule with that id already exists, or a workflow has used the id given for a fork. */
  AlreadyExists: 'AlreadyExists',
  /** The session is closed and takes no more messages. */
  SessionClosed: 'SessionClosed',
  /** The session is busy and its strategy is `reject`. */
  SessionBusy: 'SessionBusy',
  /** The session is moving its memory into a fresh run (continue-as-new); send again shortly (our client does). */
  SessionContinuing: 'SessionContinuing',
  /** The run was cancelled (Temporal cancellation). */
  Cancelled: 'Cancelled',
  /** The run was terminated by an operator. */
  Terminated: 'Terminated',
  /** Temporal's own workflow pause holds the run (`temporal workflow unpause` releases it); it answers no queries until then. */
  PausedByTemporal: 'PausedByTemporal',
  /** The run has ended and takes no more signals. */
  RunFinished: 'RunFinished',
  /** An `approve` or `reject` reached a run that is not awaiting approval of any tool call; nothing changed. */
  NotAwaitingApproval: 'NotAwaitingApproval',
  /** An `approve` or `reject` named a call id the run is not waiting on; nothing changed. */
  UnknownToolCall: 'UnknownToolCall',
  /** The run failed for a reason without a type of its own. */
  RunFailed: 'RunFailed',
  /** A template reaches itself through its sub-agents (`agent:<name>` tools); refused at start, or at the call. */
  AgentCycle: 'AgentCycle',
  /** Sub-agents would nest deeper than the run's `maxAgentDepth` (default 3); refused at start, or at the call. */
  AgentDepthExceeded: 'AgentDepthExceeded',

  // agentctl only (printed as `error: <Type>: ...`; never an ApplicationFailure).
  /** The command line is wrong (unknown command or flag, missing argument, bad number); exit status 2. */
  Usage: 'Usage',
  /** The Temporal server could not be reached or the connection settings are wrong. */
  ConnectionFailed: 'ConnectionFailed',
  /** Anything else; a bug if seen. */
  Unexpected: 'Unexpected',

  // Payload codecs (`PayloadCodecError`, codec/).
  /** AGENT_PAYLOAD_* or AGENT_BLOB_* settings are malformed. */
  InvalidSettings: 'InvalidSettings',
  /** A payload names an encryption key id this process does not hold. */
  UnknownKeyId: 'UnknownKeyId',
  /** Ciphertext or its metadata was changed, or the key with that id is a different key. */
  DecryptFailed: 'DecryptFailed',
  /** A payload reference points at a blob the store does not have. */
  BlobMissing: 'BlobMissing',
  /** A stored blob does not match the hash or size in its reference. */
  BlobCorrupt: 'BlobCorrupt',
} as const;
export type ErrorType = (typeof ErrorType)[keyof typeof ErrorType];

/** Error types that must never be retried by Temporal. */
export const nonRetryableErrorTypes: ErrorType[] = [
  ErrorType.InvalidInput,
  ErrorType.UnknownTemplate,
  ErrorType.UnknownTool,
  ErrorType.UnknownModel,
  ErrorType.PermissionDenied,
  ErrorType.QuotaExceeded,
  ErrorType.ModelRejected,
  ErrorType.OutputInvalid,
  ErrorType.PayloadTooLarge,
  ErrorType.AgentCycle,
  ErrorType.AgentDepthExceeded,
];

/** A typed error raised on the client side (library and CLI), e.g. before anything reaches Temporal. */
export class AgentError extends Error {
  override readonly name = 'AgentError';
  constructor(
    readonly type: ErrorType,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

export interface FailureOptions {
  nonRetryable?: boolean;
  details?: unknown[];
  nextRetryDelay?: Duration;
  cause?: Error;
}

/** An `ApplicationFailure` with one of our error types; retryability follows `nonRetryableErrorTypes` unless set. */
export function agentFailure(type: ErrorType, message: string, options: FailureOptions = {}): ApplicationFailure {
  return ApplicationFailure.create({
    type,
    message,
    nonRetryable: options.nonRetryable ?? nonRetryableErrorTypes.includes(type),
    details: options.details,
    nextRetryDelay: options.nextRetryDelay,
    cause: options.cause,
  });
}

/** One line naming each failing path, e.g. `input.message: Required; maxSteps: Too big`. */
export function describeZodError(error: z.ZodError): string {
  return error.issues
    .map((issue) => `${issue.path.length ? issue.path.join('.') : '(root)'}: ${issue.message}`)
    .join('; ');
}

/** Parse with a zod schema or raise `InvalidInput` naming what to change. */
export function parseOrFail<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw agentFailure(ErrorType.InvalidInput, `Invalid ${what}: ${describeZodError(parsed.error)}`);
  }
  return parsed.data;
}
