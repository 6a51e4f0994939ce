/**
 * Checks a run's workflow input by hand (no zod in workflow code) and yields the RunSpec it runs from.
 *
 * The client resolved and validated the input already (`resolveRun`); this catches inputs started around it.
 * An input without `spec` (histories recorded before runs carried one, older clients) is resolved here for the
 * three built-in templates exactly as it was then, so those runs replay and finish unchanged.
 */
/* eslint-disable @typescript-eslint/no-require-imports -- modules of features most runs never use load on use */
import { any, arr, bool, num, obj, oneOf, optional, record, str, union, type Check } from '../agents/checks';
import { approvalOptionsCheck } from '../agents/approval';
import { ErrorType } from '../agents/errors';
import { parseModelSpec } from '../agents/model-spec';
import type { RunInput } from '../agents/run';
import type { RunSpec } from '../agents/run-spec';
import type * as SubAgentSpecs from '../agents/sub-agents';
import type * as Handoff from './handoff';
import {
  builtinToolNames,
  chatSystemPrompt,
  reactDefaultMaxSteps,
  reactMaxStepsLimit,
  reactSystemPrompt,
  structuredSystemMessage,
  structuredSystemPrompt,
} from '../agents/templates/prompts';

export type RunInputResolution = { ok: true; spec: RunSpec } | { ok: false; type: ErrorType; message: string };

const idPattern = /^[A-Za-z0-9._@:-]+$/;
const jsonSchema: Check = (v, path) =>
  record(any)(v, path) ??
  (JSON.stringify(v).length > 50_000 ? `${path}: schema is larger than 50,000 characters` : undefined);

const messageCheck: Check = union(
  obj({ role: oneOf(['system', 'user']), content: str() }),
  obj({
    role: oneOf(['assistant']),
    content: str(),
    toolCalls: optional(arr(obj({ id: str({ min: 1 }), name: str({ min: 1 }), args: record(any) }))),
  }),
  obj({ role: oneOf(['tool']), content: str(), toolCallId: str(), name: str(), isError: optional(bool) }),
);

const toolsCheck = arr(
  obj({
    name: str({ min: 1, max: 200 }),
    description: str({ max: 10_000 }),
    parameters: jsonSchema,
    taskQueue: optional(str({ min: 1, max: 200 })),
    handoff: optional(str({ min: 1, max: 100 })),
    agent: optional(str({ min: 1, max: 100 })),
    local: optional(bool),
  }),
  { max: 200 },
);

/** A template a run may hand over to (`spec.handoffs`). */
const templateSpecCheck = obj({
  template: str({ min: 1, max: 100 }),
  description: str({ max: 10_000 }),
  systemPrompt: str({ max: 200_000 }),
  tools: toolsCheck,
  maxSteps: num({ int: true, min: 1, max: 10_000 }),
  inputSchema: optional(jsonSchema),
  outputSchema: optional(jsonSchema),
  handoffs: optional(arr(str({ min: 1, max: 100 }), { max: 50 })),
});

const specCheck = obj({
  template: str({ min: 1, max: 100 }),
  messages: arr(messageCheck, { min: 1, max: 100 }),
  tools: toolsCheck,
  maxSteps: num({ int: true, min: 1, max: 10_000 }),
  outputSchema: optional(jsonSchema),
  handoffs: optional(record(templateSpecCheck)),
  agents: optional((value, path) => subAgentSpecs().agentsCheck(value, path)),
});

const inputCheck = obj(
  {
    template: str({ min: 1, max: 100 }),
    input: optional(any),
    model: str({ min: 1, max: 200 }),
    user: str({ min: 1, max: 128, pattern: idPattern }),
    options: optional(
      obj({
        historyEventLimit: optional(num({ int: true, min: 100, max: 40_000 })),
        historyByteLimit: optional(num({ int: true, min: 100_000, max: 40_000_000 })),
        modelTimeoutSeconds: optional(num({ int: true, min: 1, max: 3600 })),
        streamTokens: optional(bool),
        approval: optional(approvalOptionsCheck),
        maxAgentDepth: optional(num({ int: true, min: 1, max: 10 })),
      }),
    ),
    spec: optional(specCheck),
    // Written by the workflow itself when it continues as new, and by the client's `fork`.
    carried: optional(obj({ messages: arr(messageCheck), step: num({ int: true, min: 0 }) }, { strict: false })),
    forkedFrom: optional(
      obj({ runId: str({ min: 1, max: 200, pattern: idPattern }), step: num({ int: true, min: 0 }) }),
    ),
    // Written by the parent run when it starts this one as a sub-agent.
    parent: optional((value, path) => subAgentSpecs().parentLinkCheck(value, path)),
  },
  { strict: false },
);

const legacyInputChecks: Record<string, Check> = {
  chat: obj({ message: str({ min: 1, max: 100_000 }) }),
  react: obj({
    task: str({ min: 1, max: 100_000 }),
    tools: optional(arr(str({ min: 1, max: 100 }), { max: 50 })),
    maxSteps: optional(num({ int: true, min: 1, max: reactMaxStepsLimit })),
  }),
  structured: obj({ prompt: str({ min: 1, max: 100_000 }), schema: jsonSchema }),
};

/**
 * Sub-agent and handoff checks are needed only by the runs that use them: their modules are required on first use
 * (which matters to workers that evaluate modules per workflow; see workflows/index.ts).
 */
function subAgentSpecs(): typeof SubAgentSpecs {
  return require('../agents/sub-agents') as typeof SubAgentSpecs;
}

/** The spec of a run input: its own, or the legacy resolution of a built-in template's input. */
export function resolveRunInput(raw: RunInput): RunInputResolution {
  const problem = inputCheck(raw, '');
  if (problem) return { ok: false, type: ErrorType.InvalidInput, message: `Invalid run input: ${problem}` };
  const model = parseModelSpec(raw.model);
  if ('error' in model) return { ok: false, type: ErrorType.UnknownModel, message: model.error };
  const spec = raw.spec;
  const handsOver =
    spec &&
    (spec.handoffs !== undefined ||
      spec.tools.some((tool) => tool.handoff !== undefined) ||
      (raw.carried as { handoff?: unknown } | undefined)?.handoff !== undefined);
  const handoffProblem = handsOver ? (require('./handoff') as typeof Handoff).handoffInputProblem(raw) : undefined;
  if (handoffProblem)
    return { ok: false, type: ErrorType.InvalidInput, message: `Invalid run input: ${handoffProblem}` };
  return raw.spec ? { ok: true, spec: raw.spec } : legacySpec(raw.template, raw.input);
}

function legacySpec(template: string, input: unknown): RunInputResolution {
  const check = Object.prototype.hasOwnProperty.call(legacyInputChecks, template)
    ? legacyInputChecks[template]
    : undefined;
  if (!check)
    return {
      ok: false,
      type: ErrorType.UnknownTemplate,
      message: `Unknown template "${template}"; use one of ${Object.keys(legacyInputChecks).join(', ')}`,
    };
  const problem = check(input, 'input');
  if (problem)
    return { ok: false, type: ErrorType.InvalidInput, message: `Invalid input for template "${template}": ${problem}` };
  if (template === 'chat') {
    const { message } = input as { message: string };
    return { ok: true, spec: { template, messages: opening(chatSystemPrompt, message), tools: [], maxSteps: 1 } };
  }
  if (template === 'structured') {
    const { prompt, schema } = input as { prompt: string; schema: Record<string, unknown> };
    return {
      ok: true,
      spec: {
        template,
        messages: opening(structuredSystemMessage(structuredSystemPrompt, schema), prompt),
        tools: [],
        maxSteps: 2,
        outputSchema: schema,
      },
    };
  }
  const { task, tools, maxSteps } = input as { task: string; tools?: string[]; maxSteps?: number };
  const names = tools ?? [...builtinToolNames];
  const unknown = names.filter((name) => !(builtinToolNames as readonly string[]).includes(name));
  if (unknown.length > 0)
    return {
      ok: false,
      type: ErrorType.UnknownTool,
      message: `Unknown tool(s) ${unknown.join(', ')}; available: ${builtinToolNames.join(', ')}`,
    };
  // Legacy runs name their tools only: the model-call activity binds the worker's built-in definitions, as it did then.
  const definitions = names.map((name) => ({ name, description: '', parameters: {} }));
  return {
    ok: true,
    spec: {
      template,
      messages: opening(reactSystemPrompt, task),
      tools: definitions,
      maxSteps: maxSteps ?? reactDefaultMaxSteps,
    },
  };
}

function opening(system: string, user: string): RunSpec['messages'] {
  return [
    { role: 'system', content: system },
    { role: 'user', content: user },
  ];
}
