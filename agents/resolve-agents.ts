/**
 * Resolves a run's sub-agents at start: each `agent:<template>` tool pattern becomes a tool the model sees, and
 * every template reachable that way (transitively) is recorded in `spec.agents`, so the workflow builds its
 * children's specs without the catalog. Cycles and trees deeper than the depth limit are refused here.
 *
 * Client side (called by `resolveRun`); the workflow repeats the cycle and depth checks from the child's lineage.
 */
import { expandToolPatterns, findTemplateDescriptor, toolDefinition, type Catalog } from './catalog';
import { ErrorType } from './errors';
import type { RunSpec, TemplateSpec, ToolDefinition } from './run-spec';
import { agentCallRefusal, agentPatternTemplate, defaultMaxAgentDepth } from './sub-agents';

type Resolved<T> = { ok: true; value: T } | { ok: false; type: ErrorType; message: string };

/**
 * `spec` with a tool per sub-agent its `patterns` name and the templates reachable from them in `agents`;
 * `spec` itself when the patterns name none (so runs without sub-agents record what they did before).
 */
export function withSubAgents(
  spec: RunSpec,
  patterns: readonly string[],
  catalog: Catalog,
  maxDepth = defaultMaxAgentDepth,
): Resolved<RunSpec> {
  if (!patterns.some((p) => agentPatternTemplate(p) !== undefined)) return { ok: true, value: spec };
  const agents: Record<string, TemplateSpec> = {};
  const tools = agentTools(spec.template, spec.tools, patterns, [], { catalog, maxDepth, agents });
  if (!tools.ok) return tools;
  return { ok: true, value: { ...spec, tools: [...spec.tools, ...tools.value], agents } };
}

interface Walk {
  catalog: Catalog;
  maxDepth: number;
  /** Filled as templates are reached. */
  agents: Record<string, TemplateSpec>;
}

/** The sub-agent tools of `template` (whose ordinary tools are `ordinary`), resolving each target's own, depth first. */
function agentTools(
  template: string,
  ordinary: readonly ToolDefinition[],
  patterns: readonly string[],
  lineage: string[],
  walk: Walk,
): Resolved<ToolDefinition[]> {
  const tools: ToolDefinition[] = [];
  for (const pattern of patterns) {
    const target = agentPatternTemplate(pattern);
    if (target === undefined || tools.some((t) => t.agent === target)) continue;
    const refusal = agentCallRefusal(lineage, template, target, walk.maxDepth);
    if (refusal) return { ok: false, ...refusal };
    const descriptor = findTemplateDescriptor(walk.catalog, target);
    if (!descriptor) {
      const names = walk.catalog.templates.map((t) => t.name).join(', ') || 'none';
      return {
        ok: false,
        type: ErrorType.UnknownTemplate,
        message: `Unknown template "${target}" (sub-agent "${pattern}" of "${template}"); use one of ${names}`,
      };
    }
    if (ordinary.some((t) => t.name === target))
      return {
        ok: false,
        type: ErrorType.InvalidInput,
        message: `Template "${template}" offers a tool and a sub-agent both named "${target}"; rename the template or leave the tool out`,
      };
    tools.push({
      name: target,
      description: descriptor.description || `Sub-agent "${target}": give it a task, it answers.`,
      parameters: descriptor.inputSchema,
      agent: target,
    });
    const expanded = expandToolPatterns(
      walk.catalog,
      descriptor.tools.filter((p) => agentPatternTemplate(p) === undefined),
    );
    if (expanded.unknown.length > 0)
      return {
        ok: false,
        type: ErrorType.UnknownTool,
        message: `Unknown tool(s) ${expanded.unknown.join(', ')} of sub-agent "${target}"; available: ${walk.catalog.tools.map((t) => t.name).join(', ') || 'none'}`,
      };
    const own = expanded.tools.map(toolDefinition);
    const below = agentTools(target, own, descriptor.tools, [...lineage, template], walk);
    if (!below.ok) return below;
    walk.agents[target] = {
      template: target,
      description: descriptor.description,
      systemPrompt: descriptor.systemPrompt,
      tools: [...own, ...below.value],
      maxSteps: descriptor.maxSteps,
      inputSchema: descriptor.inputSchema,
      ...(descriptor.outputSchema ? { outputSchema: descriptor.outputSchema } : {}),
    };
  }
  return { ok: true, value: tools };
}
