/**
 * `resolveRun`: checks a run input and resolves it against a catalog into the RunSpec the run records.
 *
 * Client side (zod): the client calls it before starting a workflow, so bad input fails with a typed error
 * and nothing starts. Tool globs expand here, once, so a run never sees tools added after it started.
 */
import {
  expandToolPatterns,
  builtinCatalog,
  findTemplateDescriptor,
  toolDefinition,
  type Catalog,
  type TemplateDescriptor,
} from './catalog';
import type { ChatMessage } from './conversation';
import { describeZodError, ErrorType } from './errors';
import { resolveHandoffs } from './resolve-handoffs';
import type { ModelSpec } from './model-spec';
import { modelSpecSchema } from './model-spec-schema';
import { withSubAgents } from './resolve-agents';
import { runInputSchema, type RunInput } from './run';
import type { RunSpec } from './run-spec';
import { agentPatternTemplate } from './sub-agents';
import { compileJsonSchema } from './structured-output-schema';
import { findTemplate } from './templates';
import { structuredSystemMessage } from './templates/prompts';

export interface ResolvedRun {
  /** The workflow input: the caller's run input with `spec` set and the template input left out (the spec holds it). */
  input: RunInput & { spec: RunSpec };
  spec: RunSpec;
  model: ModelSpec;
}

export type Resolution = { ok: true; run: ResolvedRun } | { ok: false; type: ErrorType; message: string };

type Resolved<T> = { ok: true; value: T } | { ok: false; type: ErrorType; message: string };

/** Checks a run input completely (shape, template, template input, model spec, tools) and resolves its spec. */
export function resolveRun(raw: unknown, catalog: Catalog = builtinCatalog): Resolution {
  const parsed = runInputSchema.safeParse(raw);
  if (!parsed.success)
    return { ok: false, type: ErrorType.InvalidInput, message: `Invalid run input: ${describeZodError(parsed.error)}` };
  const { input: templateInput, spec: _given, ...input } = parsed.data;
  const descriptor = findTemplateDescriptor(catalog, input.template);
  if (!descriptor) {
    const names = catalog.templates.map((t) => t.name).join(', ') || 'none';
    return {
      ok: false,
      type: ErrorType.UnknownTemplate,
      message: `Unknown template "${input.template}"; use one of ${names}`,
    };
  }
  const spec =
    descriptor.source === 'builtin' && findTemplate(descriptor.name)
      ? builtinSpec(descriptor, templateInput, catalog)
      : descriptorSpec(descriptor, templateInput, catalog);
  if (!spec.ok) return spec;
  // `agent:<template>` tools: sub-agents, resolved with every template they reach (agents/resolve-agents.ts).
  const team = withSubAgents(
    spec.value,
    toolPatternsOf(descriptor, templateInput),
    catalog,
    input.options?.maxAgentDepth,
  );
  if (!team.ok) return team;
  const model = modelSpecSchema.safeParse(input.model);
  if (!model.success) return { ok: false, type: ErrorType.UnknownModel, message: describeZodError(model.error) };
  return { ok: true, run: { input: { ...input, spec: team.value }, spec: team.value, model: model.data } };
}

/** Built-in templates keep their own input: react's `tools` and `maxSteps`, structured's `schema`, chat's `message`. */
function builtinSpec(descriptor: TemplateDescriptor, raw: unknown, catalog: Catalog): Resolved<RunSpec> {
  const template = findTemplate(descriptor.name)!;
  const input = template.inputSchema.safeParse(raw);
  if (!input.success) {
    return {
      ok: false,
      type: ErrorType.InvalidInput,
      message: `Invalid input for template "${template.name}": ${describeZodError(input.error)}`,
    };
  }
  const patterns =
    template.name === 'react'
      ? ((input.data as { tools?: string[] }).tools ?? descriptor.tools)
      : template.tools(input.data);
  const tools = expandTools(catalog, patterns);
  if (!tools.ok) return tools;
  const outputSchema = template.outputSchema?.(input.data);
  return {
    ok: true,
    value: {
      template: template.name,
      messages: template.openingMessages(input.data),
      tools: tools.value,
      maxSteps: template.maxSteps(input.data),
      ...(outputSchema ? { outputSchema } : {}),
    },
  };
}

/** Templates from code or a catalog file: system prompt, then the task (or the input as JSON). */
function descriptorSpec(descriptor: TemplateDescriptor, raw: unknown, catalog: Catalog): Resolved<RunSpec> {
  const compiled = compileJsonSchema(descriptor.inputSchema);
  if ('error' in compiled)
    return {
      ok: false,
      type: ErrorType.InvalidInput,
      message: `Template "${descriptor.name}" has an unusable input schema: ${compiled.error}`,
    };
  const input = compiled.schema.safeParse(raw);
  if (!input.success) {
    return {
      ok: false,
      type: ErrorType.InvalidInput,
      message: `Invalid input for template "${descriptor.name}": ${describeZodError(input.error)}`,
    };
  }
  const own = expandTools(catalog, descriptor.tools);
  if (!own.ok) return own;
  // Handoff tools join the template's own; the templates they lead to are resolved now, once, with the run.
  const handoffs = resolveHandoffs(catalog, descriptor, own.value, (target) => expandTools(catalog, target.tools));
  if (!handoffs.ok) return handoffs;
  const { tools } = handoffs.value;
  const { outputSchema } = descriptor;
  // The schema goes into the system prompt as the structured template puts it, so models (and the scripted one) see it.
  const system = outputSchema
    ? structuredSystemMessage(descriptor.systemPrompt, outputSchema)
    : descriptor.systemPrompt;
  const messages: ChatMessage[] = [
    { role: 'system', content: system },
    { role: 'user', content: taskText(input.data) },
  ];
  return {
    ok: true,
    value: {
      template: descriptor.name,
      messages,
      tools,
      maxSteps: descriptor.maxSteps,
      ...(outputSchema ? { outputSchema } : {}),
      ...(handoffs.value.handoffs ? { handoffs: handoffs.value.handoffs } : {}),
    },
  };
}

/** `input.task` when the input is `{ task: string }`, else the input as JSON. */
function taskText(input: unknown): string {
  if (input && typeof input === 'object' && !Array.isArray(input)) {
    const keys = Object.keys(input);
    const task = (input as { task?: unknown }).task;
    if (keys.length === 1 && typeof task === 'string') return task;
  }
  return typeof input === 'string' ? input : JSON.stringify(input);
}

/** The tool patterns a run of `descriptor` resolves: its own, or for `react` the input's `tools` when given. */
function toolPatternsOf(descriptor: TemplateDescriptor, input: unknown): readonly string[] {
  const given = (input as { tools?: unknown } | undefined)?.tools;
  if (descriptor.source === 'builtin' && descriptor.name === 'react' && Array.isArray(given)) return given as string[];
  return descriptor.tools;
}

function expandTools(catalog: Catalog, patterns: readonly string[]): Resolved<RunSpec['tools']> {
  // Sub-agents (`agent:<template>`) are not catalog tools: `withSubAgents` resolves them.
  const { tools, unknown } = expandToolPatterns(
    catalog,
    patterns.filter((pattern) => agentPatternTemplate(pattern) === undefined),
  );
  if (unknown.length > 0) {
    const available = catalog.tools.map((t) => t.name).join(', ') || 'none';
    return {
      ok: false,
      type: ErrorType.UnknownTool,
      message: `Unknown tool(s) ${unknown.join(', ')}; available: ${available}`,
    };
  }
  return { ok: true, value: tools.map(toolDefinition) };
}
