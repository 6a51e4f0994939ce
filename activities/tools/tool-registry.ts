/**
 * `ToolRegistry`: the tools one worker runs, by name (built-in, your code, MCP servers), and their descriptors.
 *
 * `callTool` looks tools up here at call time; what a run may call was fixed when it started (its RunSpec).
 */
import type { StructuredToolInterface } from '@langchain/core/tools';
import { toJsonSchema } from '@langchain/core/utils/json_schema';
import type { ToolDescriptor } from '../../agents/catalog';
import { builtinTools } from './registry';

/** Where a tool comes from, as `agentctl tools` shows it. */
export type ToolSource = ToolDescriptor['source'];

/**
 * A tool as passed to `createAgentWorker({ agents: { tools } })`: a LangChain tool, or one with its own task queue,
 * or one marked `local` (short, no I/O that may hang: called as a local activity, see `ToolDefinition.local`).
 */
export type AgentToolInput =
  StructuredToolInterface | { tool: StructuredToolInterface; taskQueue?: string; local?: boolean };

export interface ToolEntry {
  tool: StructuredToolInterface;
  source: ToolSource;
  /** Runs on this queue's workers (the workflow sends the call there); the run's own queue when absent. */
  taskQueue?: string;
  /** Called as a local activity (ignored with `taskQueue`: a local activity runs where the run runs). */
  local?: boolean;
}

/** Tool names the models accept (OpenAI's rule): letters, digits, `_` and `-`, at most 64. */
export const toolNamePattern = /^[A-Za-z0-9_-]{1,64}$/;

/** A tool set the worker cannot use (duplicate or invalid name); the message says which. */
export class ToolRegistryError extends Error {
  override readonly name = 'ToolRegistryError';
}

export class ToolRegistry {
  private readonly fixed = new Map<string, ToolEntry>();
  /** MCP tools by server, replaced whenever a server (re)lists its tools. */
  private readonly byServer = new Map<string, ToolEntry[]>();

  /**
   * @param builtins include `calculator`, `current_time` and `word_count`. Default true.
   * @param localTools tools may run as local activities (see `ToolDefinition.local`): the built-ins, and your tools
   * marked `local`. Default true; false: every tool call is an activity task.
   * @param tools your LangChain tools (`tool()` from `@langchain/core/tools`, any `StructuredTool`).
   */
  constructor(options: { builtins?: boolean; localTools?: boolean; tools?: AgentToolInput[] } = {}) {
    const local = options.localTools ?? true;
    if (options.builtins ?? true)
      for (const tool of Object.values(builtinTools))
        this.addFixed({ tool, source: 'builtin', ...(local ? { local } : {}) });
    for (const input of options.tools ?? []) {
      const entry: ToolEntry =
        'invoke' in input
          ? { tool: input, source: 'code' }
          : {
              tool: input.tool,
              source: 'code',
              ...(input.taskQueue ? { taskQueue: input.taskQueue } : input.local && local ? { local: true } : {}),
            };
      this.addFixed(entry);
    }
  }

  private addFixed(entry: ToolEntry): void {
    const { name } = entry.tool;
    if (!toolNamePattern.test(name))
      throw new ToolRegistryError(`Tool name "${name}" is not usable: use letters, digits, _ and - only, at most 64`);
    const existing = this.fixed.get(name);
    if (existing)
      throw new ToolRegistryError(
        `Two tools are named "${name}" (${existing.source} and ${entry.source}); rename one or leave out the built-ins (agents.builtins: false)`,
      );
    this.fixed.set(name, entry);
  }

  /**
   * Replaces one MCP server's tools. A name that a built-in or code tool (or another server) already has is
   * left out and returned, so nothing is shadowed silently.
   */
  setServerTools(server: string, tools: StructuredToolInterface[]): string[] {
    const taken = new Set([
      ...this.fixed.keys(),
      ...[...this.byServer].filter(([s]) => s !== server).flatMap(([, es]) => es.map((e) => e.tool.name)),
    ]);
    const kept = tools.filter((tool) => !taken.has(tool.name) && toolNamePattern.test(tool.name));
    this.byServer.set(
      server,
      kept.map((tool) => ({ tool, source: `mcp:${server}` as const })),
    );
    return tools.filter((tool) => !kept.includes(tool)).map((tool) => tool.name);
  }

  removeServer(server: string): void {
    this.byServer.delete(server);
  }

  get(name: string): ToolEntry | undefined {
    return this.fixed.get(name) ?? this.all().find((entry) => entry.tool.name === name);
  }

  all(): ToolEntry[] {
    return [...this.fixed.values(), ...[...this.byServer.values()].flat()];
  }

  /** Publishable descriptors: name, description, JSON Schema of the arguments, source, task queue. */
  descriptors(): ToolDescriptor[] {
    return this.all().map(toolDescriptor);
  }
}

export function toolDescriptor(entry: ToolEntry): ToolDescriptor {
  const { tool, source, taskQueue, local } = entry;
  const { $schema: _, ...parameters } = toJsonSchema(tool.schema as Parameters<typeof toJsonSchema>[0]) as Record<
    string,
    unknown
  >;
  return {
    name: tool.name,
    description: tool.description,
    parameters,
    source,
    ...(taskQueue ? { taskQueue } : local ? { local } : {}),
  };
}
