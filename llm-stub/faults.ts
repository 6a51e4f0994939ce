// Fault definitions for the LLM stub: zod schemas, types, and parsing from JSON (admin API, env, CLI).
import { z } from 'zod';

/**
 * Which requests a fault applies to, compared with the request key read from the `x-agent-run` and
 * `x-agent-step` headers. Omitted fields match anything; an omitted `match` matches every request.
 */
export const faultMatchSchema = z.strictObject({
  /** Only requests whose `x-agent-run` header equals this. */
  run: z.string().min(1).optional(),
  /** Only requests whose `x-agent-step` header equals this number. */
  step: z.number().int().nonnegative().optional(),
});
export type FaultMatch = z.infer<typeof faultMatchSchema>;

const common = {
  match: faultMatchSchema.optional(),
  /** How many matching requests this fault applies to before it is used up. Default 1. */
  times: z.number().int().positive().optional(),
};

/** Reply with an HTTP error status and an OpenAI-style error body. */
export const statusFaultSchema = z.strictObject({
  kind: z.literal('status'),
  /** HTTP status, 400-599 (429, 500, 503, 400, 401 are the usual ones). */
  status: z.number().int().min(400).max(599),
  /** Sent as the `Retry-After` header (seconds) when set. Default: no header. */
  retryAfterSeconds: z.number().int().nonnegative().optional(),
  /** Overrides `error.message`. Default: a message naming the status. */
  message: z.string().optional(),
  /** Overrides `error.type`, e.g. `insufficient_quota` for a quota 429. Default: OpenAI's type for the status. */
  type: z.string().optional(),
  /** Overrides `error.code`. Default: OpenAI's code for the status, or null. */
  code: z.string().optional(),
  ...common,
});

/** Wait, then reply normally; stops early (no reply) if the client disconnects. */
export const delayFaultSchema = z.strictObject({
  kind: z.literal('delay'),
  /** Delay before replying, in milliseconds (at most 10 minutes). */
  ms: z.number().int().nonnegative().max(600_000),
  ...common,
});

/** Never reply; the request ends only when the client gives up (a timeout on its side). */
export const hangFaultSchema = z.strictObject({ kind: z.literal('hang'), ...common });

/** Drop the connection. */
export const resetFaultSchema = z.strictObject({
  kind: z.literal('reset'),
  /**
   * Streaming only: send the 200 headers and this many SSE chunks, then close the socket without
   * `[DONE]`. Default: reset the socket before any response bytes (always so for non-streaming).
   */
  afterChunks: z.number().int().nonnegative().optional(),
  ...common,
});

/** Reply 200 with a body (or, streaming, an SSE event) that is not valid JSON. */
export const malformedJsonFaultSchema = z.strictObject({ kind: z.literal('malformed-json'), ...common });

/** Ways a tool call can be broken. */
export const badToolCallVariants = ['invalid-json', 'not-object', 'unknown-tool'] as const;

/** Reply 200 with a tool call the client cannot use. */
export const badToolCallFaultSchema = z.strictObject({
  kind: z.literal('bad-tool-call'),
  /**
   * `invalid-json`: `function.arguments` is not JSON, nor JSON cut short; `not-object`: it is JSON but an array;
   * `unknown-tool`: valid arguments for a tool the request did not offer. Default `invalid-json`.
   */
  variant: z.enum(badToolCallVariants).optional(),
  ...common,
});

/**
 * Reply 200 with exactly this tool call instead of the scripted answer: a model that a prompt talked into
 * calling a tool it may not use, or into passing hostile arguments.
 */
export const toolCallFaultSchema = z.strictObject({
  kind: z.literal('tool-call'),
  /** Tool name, offered to the model or not. */
  name: z.string().min(1).max(200),
  /** `function.arguments` as sent, a JSON string (or not). */
  arguments: z.string().max(100_000),
  ...common,
});

export const faultKinds = ['status', 'delay', 'hang', 'reset', 'malformed-json', 'bad-tool-call', 'tool-call'] as const;

export const faultSchema = z.discriminatedUnion(
  'kind',
  [
    statusFaultSchema,
    delayFaultSchema,
    hangFaultSchema,
    resetFaultSchema,
    malformedJsonFaultSchema,
    badToolCallFaultSchema,
    toolCallFaultSchema,
  ],
  { error: (issue) => (issue.code === 'invalid_union' ? `kind must be one of ${faultKinds.join(', ')}` : undefined) },
);
export type Fault = z.infer<typeof faultSchema>;
export type FaultKind = Fault['kind'];

/** A list of faults, as accepted by the admin API, `LLM_STUB_FAULTS` and `--faults` (which also take a single fault). */
export const faultListSchema = z.array(faultSchema);

/** Thrown when fault definitions do not validate; the message lists each problem with its path. */
export class InvalidFaultError extends Error {
  override readonly name = 'InvalidFaultError';
}

/** Validates one fault or an array of them, throwing {@link InvalidFaultError} with a readable message. */
export function parseFaults(input: unknown): Fault[] {
  // Parsed separately rather than as a union, so errors point at the bad field instead of "Invalid input".
  const result = faultListSchema.safeParse(Array.isArray(input) ? input : [input]);
  if (!result.success) throw new InvalidFaultError(`invalid faults: ${z.prettifyError(result.error)}`);
  return result.data;
}

/** Parses a JSON string of one fault or an array of them (from env or CLI). */
export function parseFaultsJson(json: string, source = 'faults'): Fault[] {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (err) {
    throw new InvalidFaultError(
      `${source} is not JSON (${(err as Error).message}); pass e.g. '[{"kind":"status","status":429}]'`,
    );
  }
  return parseFaults(value);
}
