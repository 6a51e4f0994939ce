/**
 * Catalogs: publishable JSON descriptors of the templates and tools a worker offers, and the built-in one.
 *
 * Client and activity side only (builds JSON Schemas with zod); workflow code uses `run-spec.ts`.
 */
import { z } from 'zod';
import { matchesToolPattern, type ToolDefinition } from './run-spec';
import { templates } from './templates/registry';
import { toolSpecs } from './tool-specs';

export interface TemplateDescriptor {
  name: string;
  description: string;
  systemPrompt: string;
  /** Tool names or globs (e.g. `github_*`, `mcp:files/*`); `agent:<name>` is reserved. */
  tools: string[];
  /** Default step limit. */
  maxSteps: number;
  /** JSON Schema of the template input (default `{ task: string }`). */
  inputSchema: Record<string, unknown>;
  outputSchema?: Record<string, unknown>;
  /** Templates this one may hand the conversation over to (`transfer_to_<name>` tools); checked when a run starts. */
  handoffs?: string[];
  source: 'builtin' | 'code' | 'catalog-file';
}

export interface ToolDescriptor {
  name: string;
  description: string;
  /** JSON Schema of the arguments. */
  parameters: Record<string, unknown>;
  source: 'builtin' | 'code' | `mcp:${string}`;
  /** Task queue whose workers run this tool; the run's own queue when absent. */
  taskQueue?: string;
  /** Short enough to run as a local activity (see `ToolDefinition.local`). */
  local?: boolean;
}

export interface Catalog {
  templates: TemplateDescriptor[];
  tools: ToolDescriptor[];
}

/** The input schema of descriptor templates that declare none. */
export const defaultTemplateInputSchema: Record<string, unknown> = {
  type: 'object',
  properties: { task: { type: 'string', minLength: 1 } },
  required: ['task'],
  additionalProperties: false,
};

function jsonSchemaOf(schema: z.ZodType): Record<string, unknown> {
  // `io: 'input'` describes what callers send (optional fields stay optional); refinements are checked by zod.
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
  return rest;
}

/** The three built-in templates and three built-in tools. */
export const builtinCatalog: Catalog = {
  templates: Object.values(templates).map((template) => ({
    name: template.name,
    description: template.description,
    systemPrompt: template.systemPrompt,
    tools: template.name === 'react' ? Object.keys(toolSpecs) : [],
    maxSteps: template.defaultMaxSteps,
    inputSchema: jsonSchemaOf(template.inputSchema),
    source: 'builtin' as const,
  })),
  tools: Object.values(toolSpecs).map((spec) => ({
    name: spec.name,
    description: spec.description,
    parameters: jsonSchemaOf(spec.schema),
    source: 'builtin' as const,
    // Not `local`: whether the built-ins run as local activities is each worker's setting (AGENT_LOCAL_TOOLS), which
    // this catalog (used before any worker has published) cannot know; a worker's published catalog says so.
  })),
};

export function findTemplateDescriptor(catalog: Catalog, name: string): TemplateDescriptor | undefined {
  return catalog.templates.find((template) => template.name === name);
}

/**
 * Expands tool names and globs against the catalog, in the order of the patterns (a glob's matches in catalog
 * order), without duplicates. `unknown` holds the patterns that matched nothing (a name not offered, a glob
 * matching no tool).
 */
export function expandToolPatterns(
  catalog: Catalog,
  patterns: readonly string[],
): { tools: ToolDescriptor[]; unknown: string[] } {
  const tools: ToolDescriptor[] = [];
  const unknown: string[] = [];
  for (const pattern of patterns) {
    const matches = catalog.tools.filter((tool) => matchesToolPattern(pattern, tool.name));
    if (matches.length === 0) unknown.push(pattern);
    for (const tool of matches) if (!tools.includes(tool)) tools.push(tool);
  }
  return { tools, unknown };
}

/** What a run records of a tool. */
export function toolDefinition(tool: ToolDescriptor): ToolDefinition {
  return {
    name: tool.name,
    description: tool.description,
    parameters: tool.parameters,
    ...(tool.taskQueue ? { taskQueue: tool.taskQueue } : tool.local ? { local: true } : {}),
  };
}
