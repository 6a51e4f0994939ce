/**
 * `McpServers`: the worker's MCP connections, one per configured server, kept in step with its `ToolRegistry`.
 *
 * A server down at start does not stop the worker: its tools appear once a background reconnect reaches it.
 */
import { McpConnection, type McpConnectionOptions, type McpServerConfig } from './mcp-connection';
import type { ToolRegistry } from './tool-registry';

export interface McpServersOptions extends McpConnectionOptions {
  /** How often servers that are not connected are tried again, in milliseconds. Default 5,000. */
  reconnectIntervalMs?: number;
  /** Told when a server's tools were (re)listed or removed, so the worker publishes its catalog again. */
  onToolsChanged?: () => void;
}

export class McpServers {
  private readonly connections = new Map<string, McpConnection>();
  private timer?: NodeJS.Timeout;
  /** Servers whose failure to connect was logged, so an outage is logged once, not every retry. */
  private readonly down = new Set<string>();

  constructor(
    private readonly registry: ToolRegistry,
    private readonly options: McpServersOptions = {},
  ) {}

  /**
   * Makes the open connections match `servers`: new ones are opened, removed or changed ones closed.
   * Resolves once every server was tried once (a failure is logged, and retried in the background).
   */
  async configure(servers: Record<string, McpServerConfig>): Promise<void> {
    for (const [name, connection] of this.connections) {
      if (JSON.stringify(servers[name]) === JSON.stringify(connection.config)) continue;
      this.connections.delete(name);
      this.registry.removeServer(name);
      await connection.close();
      this.options.onToolsChanged?.();
    }
    const added = Object.entries(servers).filter(([name]) => !this.connections.has(name));
    for (const [name, config] of added) this.connections.set(name, new McpConnection(name, config, this.options));
    await Promise.all(added.map(([name]) => this.connect(name)));
    this.timer ??= setInterval(() => void this.reconnectAll(), this.options.reconnectIntervalMs ?? 5000).unref();
  }

  /** Server names and whether each is connected now. */
  status(): Record<string, boolean> {
    return Object.fromEntries([...this.connections].map(([name, c]) => [name, c.connected]));
  }

  private async reconnectAll(): Promise<void> {
    await Promise.all([...this.connections].filter(([, c]) => !c.connected).map(([name]) => this.connect(name)));
  }

  private async connect(name: string): Promise<void> {
    const connection = this.connections.get(name);
    if (!connection) return;
    try {
      const tools = await connection.open();
      this.down.delete(name);
      if (this.connections.get(name) !== connection) return;
      const before = JSON.stringify(this.registry.descriptors().filter((d) => d.source === `mcp:${name}`));
      const skipped = this.registry.setServerTools(name, tools);
      if (skipped.length)
        this.options.log?.(
          'warn',
          `MCP server "${name}": tools left out because the name is taken or unusable: ${skipped.join(', ')}`,
        );
      const after = JSON.stringify(this.registry.descriptors().filter((d) => d.source === `mcp:${name}`));
      if (before !== after) this.options.onToolsChanged?.();
    } catch (err) {
      if (!this.down.has(name)) this.options.log?.('warn', `${(err as Error).message}; trying again in the background`);
      this.down.add(name);
    }
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    const all = [...this.connections.values()];
    this.connections.clear();
    await Promise.all(all.map((c) => c.close()));
  }
}
