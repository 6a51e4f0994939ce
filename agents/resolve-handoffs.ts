/**
 * `resolveHandoffs`: every template a run may hand over to, transitively, resolved against the catalog at start.
 *
 * Client side (part of `resolveRun`). Each reachable template is resolved once, so cycles (triage → billing →
 * triage) are fine; an unknown target is `UnknownTemplate` and nothing starts. The run records the result in
 * `RunSpec.handoffs`, so the workflow never needs the catalog and a changed template never changes a run in flight.
 */
import { findTemplateDescriptor, type Catalog, type TemplateDescriptor } from './catalog';
import { ErrorType } from './errors';
import { handoffToolDefinition } from './handoffs';
import type { TemplateSpec, ToolDefinition } from './run-spec';
import { structuredSystemMessage } from './templates/prompts';

export type Resolved<T> = { ok: true; value: T } | { ok: false; type: ErrorType; message: string };

/** A template's own tools (names and globs expanded), as a run of that template would get them. */
export type ToolExpander = (descriptor: TemplateDescriptor) => Resolved<ToolDefinition[]>;

export interface ResolvedHandoffs {
  /** The starting template's tools followed by its handoff tools. */
  tools: ToolDefinition[];
  /** Every template reachable by handoff (the starting one too when a cycle leads back); absent when none is. */
  handoffs?: Record<string, TemplateSpec>;
}

/**
 * The handoff closure of `start`: its tools (`startTools`, already expanded) with its handoff tools added, and the
 * spec of each template reachable from it. A template without handoffs gets its tools back unchanged.
 */
export function resolveHandoffs(
  catalog: Catalog,
  start: TemplateDescriptor,
  startTools: ToolDefinition[],
  expandTools: ToolExpander,
): Resolved<ResolvedHandoffs> {
  const first = targetsOf(catalog, start);
  if (!first.ok) return first;
  if (first.value.length === 0) return { ok: true, value: { tools: startTools } };
  const tools = withHandoffTools(start.name, startTools, first.value);
  if (!tools.ok) return tools;
  const handoffs: Record<string, TemplateSpec> = {};
  const queue = [...first.value];
  while (queue.length > 0) {
    const descriptor = queue.shift()!;
    if (Object.prototype.hasOwnProperty.call(handoffs, descriptor.name)) continue;
    const targets = targetsOf(catalog, descriptor);
    if (!targets.ok) return targets;
    const own = expandTools(descriptor);
    if (!own.ok) return { ...own, message: `Template "${descriptor.name}" (a handoff target): ${own.message}` };
    const offered = withHandoffTools(descriptor.name, own.value, targets.value);
    if (!offered.ok) return offered;
    handoffs[descriptor.name] = templateSpec(descriptor, offered.value);
    queue.push(...targets.value);
  }
  return { ok: true, value: { tools: tools.value, handoffs } };
}

/**
 * A template's tools followed by its handoff tools; a name used twice (a tool named like a handoff tool, or two
 * targets whose names agree in their first 52 characters) is `InvalidInput`, since the model could not tell them apart.
 */
function withHandoffTools(
  template: string,
  own: ToolDefinition[],
  targets: readonly TemplateDescriptor[],
): Resolved<ToolDefinition[]> {
  const tools = [...own, ...targets.map(handoffTool)];
  const seen = new Set<string>();
  for (const tool of tools) {
    if (seen.has(tool.name))
      return {
        ok: false,
        type: ErrorType.InvalidInput,
        message: `Template "${template}" offers two tools named "${tool.name}"; rename the tool or the handoff target`,
      };
    seen.add(tool.name);
  }
  return { ok: true, value: tools };
}

/** The descriptors a template names in `handoffs`, in order, without repeats. */
function targetsOf(catalog: Catalog, descriptor: TemplateDescriptor): Resolved<TemplateDescriptor[]> {
  const targets: TemplateDescriptor[] = [];
  for (const name of descriptor.handoffs ?? []) {
    if (name === descriptor.name)
      return {
        ok: false,
        type: ErrorType.InvalidInput,
        message: `Template "${descriptor.name}" names itself in handoffs; remove it`,
      };
    const target = findTemplateDescriptor(catalog, name);
    if (!target) {
      const names = catalog.templates.map((t) => t.name).join(', ') || 'none';
      return {
        ok: false,
        type: ErrorType.UnknownTemplate,
        message: `Template "${descriptor.name}" hands over to unknown template "${name}"; use one of ${names}`,
      };
    }
    if (!targets.includes(target)) targets.push(target);
  }
  return { ok: true, value: targets };
}

function handoffTool(target: TemplateDescriptor): ToolDefinition {
  return handoffToolDefinition({ template: target.name, description: target.description });
}

/** What the workflow needs to continue a run under `descriptor`; the system prompt rendered as a run's would be. */
function templateSpec(descriptor: TemplateDescriptor, tools: ToolDefinition[]): TemplateSpec {
  const { outputSchema } = descriptor;
  return {
    template: descriptor.name,
    description: descriptor.description,
    // The schema goes into the prompt as for a run started under this template, so models see what to answer.
    systemPrompt: outputSchema
      ? structuredSystemMessage(descriptor.systemPrompt, outputSchema)
      : descriptor.systemPrompt,
    tools,
    maxSteps: descriptor.maxSteps,
    inputSchema: descriptor.inputSchema,
    ...(outputSchema ? { outputSchema } : {}),
    ...(descriptor.handoffs?.length ? { handoffs: [...new Set(descriptor.handoffs)] } : {}),
  };
}
