/**
 * `WorkerAgents`: what one worker offers, from code (`createAgentWorker({ agents })`) and the catalog file, with
 * its MCP connections. Re-reads the catalog file when it changes; a bad file is refused and the previous stays.
 */
import { createHash } from 'node:crypto';
import { unwatchFile, watchFile } from 'node:fs';
import type { Catalog } from '../../agents/catalog';
import type { McpServerConfig } from '../../activities/tools/mcp-connection';
import { McpServers } from '../../activities/tools/mcp-servers';
import { ToolRegistry, type AgentToolInput } from '../../activities/tools/tool-registry';
import { CatalogFileError, readCatalogFile, type CatalogFile } from './catalog-file';
import { TemplateRegistry, type AgentTemplateDefinition } from './template-registry';

/** `createAgentWorker({ agents })`: your tools, templates and MCP servers, and the catalog file. */
export interface AgentsOptions {
  /** Include the built-in templates (`chat`, `react`, `structured`) and tools (`calculator`, ...). Default true. */
  builtins?: boolean;
  /**
   * Built-in tools, and your tools marked `local`, run as local activities, recorded in each run's spec at start
   * (default true). False: their calls are activity tasks like any other tool's (a round trip more each, a labelled
   * row each in the UI timeline). A worker with no workflow cache (`maxCachedWorkflows: 0`) always uses false.
   */
  localTools?: boolean;
  /** LangChain tools (`tool()` from `@langchain/core/tools`, any `StructuredTool`), optionally with the task queue whose workers run them. */
  tools?: AgentToolInput[];
  templates?: AgentTemplateDefinition[];
  /** MCP servers by name; each listed tool becomes `<server>__<tool>`. */
  mcpServers?: Record<string, McpServerConfig>;
  /** A catalog file (JSON or YAML) with more templates and MCP servers, re-read when it changes (`AGENT_CATALOG_FILE`). */
  catalogFile?: string;
  /** How often the catalog file is checked for changes, in milliseconds. Default 1,000. */
  catalogFileCheckIntervalMs?: number;
  /** How often unreachable MCP servers are tried again, in milliseconds. Default 5,000. */
  mcpReconnectIntervalMs?: number;
  /** Where reloads, refused files and MCP connection changes are told. Default: the console. */
  log?: (level: 'info' | 'warn' | 'error', message: string) => void;
}

const consoleLog: NonNullable<AgentsOptions['log']> = (level, message) =>
  level === 'info' ? console.log(message) : console.error(message);

export class WorkerAgents {
  readonly tools: ToolRegistry;
  readonly templates: TemplateRegistry;
  private readonly mcp: McpServers;
  private readonly listeners = new Set<() => void>();
  private readonly log: NonNullable<AgentsOptions['log']>;
  private fileServers: Record<string, McpServerConfig> = {};

  private constructor(private readonly options: AgentsOptions) {
    this.log = options.log ?? consoleLog;
    this.tools = new ToolRegistry({
      builtins: options.builtins,
      localTools: options.localTools,
      tools: options.tools,
    });
    this.templates = new TemplateRegistry({ builtins: options.builtins, templates: options.templates });
    this.mcp = new McpServers(this.tools, {
      reconnectIntervalMs: options.mcpReconnectIntervalMs,
      log: this.log,
      onToolsChanged: () => this.changed(),
    });
  }

  /**
   * Builds the registries, reads the catalog file (throws `CatalogFileError` if it is bad) and connects to the
   * MCP servers (one that cannot be reached is logged and tried again in the background).
   */
  static async create(options: AgentsOptions = {}): Promise<WorkerAgents> {
    const agents = new WorkerAgents(options);
    if (options.catalogFile) agents.applyFile(readCatalogFile(options.catalogFile));
    await agents.mcp.configure(agents.servers());
    if (options.catalogFile) agents.watch(options.catalogFile);
    return agents;
  }

  /** Descriptors of every template and tool, as published to Temporal. */
  catalog(): Catalog {
    return { templates: this.templates.descriptors(), tools: this.tools.descriptors() };
  }

  /** A short hash of {@link catalog}, to tell whether it changed. */
  digest(): string {
    return createHash('sha256').update(JSON.stringify(this.catalog())).digest('hex').slice(0, 16);
  }

  /** Called whenever the catalog may have changed (file reloaded, MCP tools listed or gone). */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** MCP server names and whether each is connected now. */
  mcpStatus(): Record<string, boolean> {
    return this.mcp.status();
  }

  /** Stops watching the file and closes every MCP connection. */
  async close(): Promise<void> {
    if (this.options.catalogFile) unwatchFile(this.options.catalogFile);
    this.listeners.clear();
    await this.mcp.close();
  }

  private servers(): Record<string, McpServerConfig> {
    return { ...(this.options.mcpServers ?? {}), ...this.fileServers };
  }

  /** Checks a parsed file against code-defined names, then takes it in. Throws `CatalogFileError`. */
  private applyFile(file: CatalogFile): void {
    const fixed = new Set(this.templates.fixedNames());
    file.templates.forEach((template, i) => {
      if (fixed.has(template.name))
        throw new CatalogFileError(
          `Invalid catalog in ${this.options.catalogFile}: templates.${i}.name: "${template.name}" is a built-in or code template; choose another name`,
        );
    });
    for (const name of Object.keys(file.mcpServers)) {
      if (this.options.mcpServers?.[name])
        throw new CatalogFileError(
          `Invalid catalog in ${this.options.catalogFile}: mcpServers.${name}: a server of that name is configured in code; choose another name`,
        );
    }
    this.templates.setFileTemplates(file.templates);
    this.fileServers = file.mcpServers;
  }

  private watch(path: string): void {
    // Polls the file's stat, like the policy file: works on every file system and through editors' rename-on-save.
    watchFile(path, { interval: this.options.catalogFileCheckIntervalMs ?? 1000, persistent: false }, (now, before) => {
      if (now.mtimeMs === before.mtimeMs && now.size === before.size) return;
      void this.reload(path);
    });
  }

  private reloading = Promise.resolve();

  /** Re-reads the file now; a bad file is logged and the previous catalog stays. */
  reload(path = this.options.catalogFile): Promise<void> {
    if (!path) return Promise.resolve();
    this.reloading = this.reloading.then(async () => {
      try {
        this.applyFile(readCatalogFile(path));
      } catch (err) {
        this.log('error', `${(err as Error).message}; keeping the previous catalog`);
        return;
      }
      this.log('info', `catalog reloaded from ${path}`);
      await this.mcp.configure(this.servers());
      this.changed();
    });
    return this.reloading;
  }

  private changed(): void {
    for (const listener of this.listeners) {
      try {
        listener();
      } catch (err) {
        this.log('warn', `catalog change listener failed: ${(err as Error).message}`);
      }
    }
  }
}
