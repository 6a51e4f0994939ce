/**
 * Checks a session's workflow input by hand (no zod in workflow code), then resolves its defaults.
 *
 * The client checked it with zod already (`resolveSession`); this catches inputs started around it. Carried
 * state is written by the workflow itself (continue-as-new) or by the client's `fork`, so only its outline is checked.
 */
import { any, arr, bool, num, obj, oneOf, optional, str } from '../agents/checks';
import { ErrorType } from '../agents/errors';
import {
  resolveSessionConfig,
  sessionStrategies,
  summaryModes,
  type SessionInput,
  type SessionResolution,
} from '../agents/session';

const sessionInputCheck = obj({
  user: str({ min: 1, max: 128, pattern: /^[A-Za-z0-9._@:-]+$/ }),
  template: str({ min: 1, max: 100 }),
  model: str({ min: 1, max: 200 }),
  ttlSeconds: optional(num({ int: true, min: 1, max: 31_536_000 })),
  strategy: optional(oneOf(sessionStrategies)),
  tools: optional(arr(str({ min: 1, max: 100 }), { max: 50 })),
  maxStepsPerTurn: optional(num({ int: true, min: 1, max: 100 })),
  systemPrompt: optional(str({ min: 1, max: 20_000 })),
  memory: optional(
    obj({
      keepTurns: optional(num({ int: true, min: 1, max: 1_000 })),
      maxChars: optional(num({ int: true, min: 1_000, max: 1_000_000 })),
      summary: optional(oneOf(summaryModes)),
      summaryMaxChars: optional(num({ int: true, min: 200, max: 50_000 })),
    }),
  ),
  options: optional(
    obj({
      continueAsNewEveryTurns: optional(num({ int: true, min: 1, max: 100_000 })),
      historyEventLimit: optional(num({ int: true, min: 100, max: 40_000 })),
      historyByteLimit: optional(num({ int: true, min: 100_000, max: 40_000_000 })),
      modelTimeoutSeconds: optional(num({ int: true, min: 1, max: 3600 })),
      streamTokens: optional(bool),
    }),
  ),
  carried: optional(
    obj(
      {
        turns: arr(any),
        turnCount: num({ int: true, min: 0 }),
        steps: num({ int: true, min: 0 }),
        usage: obj({}, { strict: false }),
        pauseRequested: bool,
        continuations: num({ int: true, min: 0 }),
      },
      { strict: false },
    ),
  ),
});

export function resolveSessionInput(raw: SessionInput): SessionResolution {
  const problem = sessionInputCheck(raw, '');
  if (problem) return { ok: false, type: ErrorType.InvalidInput, message: `Invalid session input: ${problem}` };
  return resolveSessionConfig(raw);
}
