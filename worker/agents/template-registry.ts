/**
 * `TemplateRegistry`: the templates one worker offers (built-ins, your code, the catalog file), as descriptors.
 *
 * Templates are data: a client resolves a run against the published descriptors (`resolveRun`), so the worker
 * only has to describe them. Zod input schemas are published as JSON Schema (refinements are not carried).
 */
import { toJsonSchema } from '@langchain/core/utils/json_schema';
import { builtinCatalog, defaultTemplateInputSchema, type TemplateDescriptor } from '../../agents/catalog';
import type { CatalogFileTemplate } from './catalog-file';

type SchemaLike = Parameters<typeof toJsonSchema>[0];

/**
 * A template in code.
 *
 * @example
 * const triage: AgentTemplateDefinition = {
 *   name: 'triage', systemPrompt: 'Classify the ticket.', tools: ['lookup_customer'],
 *   input: z.object({ task: z.string() }), outputSchema: z.object({ priority: z.enum(['low', 'high']) }),
 * };
 */
export interface AgentTemplateDefinition {
  /** Letters, digits, `_` and `-`; used in run inputs and search attributes. */
  name: string;
  description?: string;
  systemPrompt: string;
  /** Zod (v3 or v4) or JSON Schema of the run input. Default `{ task: string }`. */
  input?: SchemaLike | Record<string, unknown>;
  /** Tool names or `*` globs, expanded when a run starts. Default none. */
  tools?: string[];
  /** Steps a run may take (a step is one model call plus its tool calls). Default 8. */
  maxSteps?: number;
  /** Zod or JSON Schema the final answer must satisfy (structured output). */
  outputSchema?: SchemaLike | Record<string, unknown>;
  /** Templates this one may hand the conversation over to; the model sees a `transfer_to_<name>` tool for each. Default none. */
  handoffs?: string[];
}

/** Steps of a code or catalog-file template that does not say. */
export const defaultTemplateMaxSteps = 8;

/** A template set the worker cannot use (duplicate or invalid name); the message says which. */
export class TemplateRegistryError extends Error {
  override readonly name = 'TemplateRegistryError';
}

export class TemplateRegistry {
  private readonly fixed: TemplateDescriptor[] = [];
  private fromFile: TemplateDescriptor[] = [];

  /** @param builtins include `chat`, `react` and `structured`. Default true. */
  constructor(options: { builtins?: boolean; templates?: AgentTemplateDefinition[] } = {}) {
    if (options.builtins ?? true) this.fixed.push(...builtinCatalog.templates);
    for (const definition of options.templates ?? []) {
      if (!/^[A-Za-z0-9_-]{1,64}$/.test(definition.name))
        throw new TemplateRegistryError(
          `Template name "${definition.name}" is not usable: use letters, digits, _ and - only, at most 64`,
        );
      if (this.find(definition.name))
        throw new TemplateRegistryError(
          `Two templates are named "${definition.name}"; rename one or leave out the built-ins (agents.builtins: false)`,
        );
      this.fixed.push(codeTemplateDescriptor(definition));
    }
  }

  /** Names the catalog file may not reuse: built-in and code templates. */
  fixedNames(): string[] {
    return this.fixed.map((t) => t.name);
  }

  /** Replaces the catalog file's templates (names are checked against {@link fixedNames} by the caller). */
  setFileTemplates(templates: CatalogFileTemplate[]): void {
    this.fromFile = templates.map(fileTemplateDescriptor);
  }

  find(name: string): TemplateDescriptor | undefined {
    return this.descriptors().find((t) => t.name === name);
  }

  descriptors(): TemplateDescriptor[] {
    return [...this.fixed, ...this.fromFile];
  }
}

function codeTemplateDescriptor(definition: AgentTemplateDefinition): TemplateDescriptor {
  const outputSchema = definition.outputSchema && jsonSchemaOf(definition.outputSchema);
  return {
    name: definition.name,
    description: definition.description ?? '',
    systemPrompt: definition.systemPrompt,
    tools: definition.tools ?? [],
    maxSteps: definition.maxSteps ?? defaultTemplateMaxSteps,
    inputSchema: definition.input ? jsonSchemaOf(definition.input) : defaultTemplateInputSchema,
    ...(outputSchema ? { outputSchema } : {}),
    ...(definition.handoffs?.length ? { handoffs: definition.handoffs } : {}),
    source: 'code',
  };
}

function fileTemplateDescriptor(template: CatalogFileTemplate): TemplateDescriptor {
  return {
    name: template.name,
    description: template.description ?? '',
    systemPrompt: template.systemPrompt,
    tools: template.tools,
    maxSteps: template.maxSteps,
    inputSchema: template.input ?? defaultTemplateInputSchema,
    ...(template.outputSchema ? { outputSchema: template.outputSchema } : {}),
    ...(template.handoffs?.length ? { handoffs: template.handoffs } : {}),
    source: 'catalog-file',
  };
}

/** JSON Schema of a zod schema (v3 or v4); a JSON Schema is returned as given. */
function jsonSchemaOf(schema: SchemaLike | Record<string, unknown>): Record<string, unknown> {
  const { $schema: _, ...rest } = toJsonSchema(schema as SchemaLike) as Record<string, unknown>;
  return rest;
}
