/**
 * `McpConnection`: the worker's connection to one MCP server, through `@langchain/mcp-adapters`.
 *
 * Opened once and reused by every call; a call that finds the server gone drops the connection and throws
 * `ToolUnavailableError`, and the next call (or the background reconnect) opens a new one: a restarted stdio
 * server is started again, a restarted HTTP server gets a new session.
 */
import { MultiServerMCPClient, type Connection } from '@langchain/mcp-adapters';
import { tool, type StructuredToolInterface } from '@langchain/core/tools';

/** How to reach an MCP server, in the shape `@langchain/mcp-adapters` takes: a command (stdio) or a URL (streamable HTTP, SSE fallback). */
export type McpServerConfig =
  | { command: string; args?: string[]; env?: Record<string, string>; cwd?: string }
  | { url: string; headers?: Record<string, string> };

/** The server could not be reached; retried (the activity fails with the retryable `ToolUnavailable`). */
export class ToolUnavailableError extends Error {
  override readonly name = 'ToolUnavailableError';
}

/** Separator between server name and tool name: `files__read_file` (the adapters' own convention). */
export const mcpToolSeparator = '__';

export interface McpConnectionOptions {
  /** Time a health check (MCP ping) after a failed call may take, in milliseconds. Default 2,000. */
  pingTimeoutMs?: number;
  /** Told about connections opened, lost and refused. */
  log?: (level: 'info' | 'warn', message: string) => void;
}

export class McpConnection {
  private client?: MultiServerMCPClient;
  private opening?: Promise<StructuredToolInterface[]>;
  /** The adapters' tools of the open connection, by prefixed name. */
  private live = new Map<string, StructuredToolInterface>();
  /** Aborted when the connection is dropped, so calls waiting on a dead HTTP stream end at once. */
  private lost = new AbortController();
  private checking?: Promise<void>;
  private closed = false;

  constructor(
    readonly server: string,
    readonly config: McpServerConfig,
    private readonly options: McpConnectionOptions = {},
  ) {}

  get connected(): boolean {
    return this.client !== undefined && !this.opening;
  }

  /**
   * Opens the connection (once; concurrent callers share the attempt) and returns the server's tools as
   * LangChain tools named `<server>__<tool>` that call through this connection, whichever it is at call time.
   */
  open(): Promise<StructuredToolInterface[]> {
    if (this.closed)
      return Promise.reject(
        new ToolUnavailableError(`MCP server "${this.server}" was removed or the worker is shutting down`),
      );
    this.opening ??= this.connect().finally(() => (this.opening = undefined));
    return this.opening;
  }

  private async connect(): Promise<StructuredToolInterface[]> {
    const client = new MultiServerMCPClient({
      mcpServers: { [this.server]: this.config as Connection },
      prefixToolNameWithServerName: true,
      throwOnLoadError: true,
      onConnectionError: 'throw',
    });
    let listed: StructuredToolInterface[];
    try {
      listed = await client.getTools();
    } catch (err) {
      await client.close().catch(() => undefined);
      throw new ToolUnavailableError(`MCP server "${this.server}" is not reachable: ${messageOf(err)}`);
    }
    if (this.closed) {
      await client.close().catch(() => undefined);
      throw new ToolUnavailableError(`MCP server "${this.server}" was removed or the worker is shutting down`);
    }
    this.client = client;
    this.lost = new AbortController();
    this.live = new Map(listed.map((t) => [t.name, t]));
    await this.watchTransport(client);
    this.options.log?.('info', `MCP server "${this.server}" connected: ${listed.length} tool(s)`);
    return listed.map((t) => this.proxy(t));
  }

  /** A stable tool object: it calls whatever connection is open when it runs. */
  private proxy(listed: StructuredToolInterface): StructuredToolInterface {
    return tool(async (args: Record<string, unknown>, config) => this.call(listed.name, args, config?.signal), {
      name: listed.name,
      description: listed.description,
      schema: listed.schema as Record<string, unknown>,
    }) as unknown as StructuredToolInterface;
  }

  /**
   * Calls a tool. The tool's own error (an MCP result marked `isError`, bad arguments) is thrown as is, for
   * the model to read; a server that cannot be reached is `ToolUnavailableError`.
   */
  async call(name: string, args: Record<string, unknown>, signal?: AbortSignal): Promise<unknown> {
    if (!this.client) await this.open();
    const target = this.live.get(name);
    if (!target) throw new Error(`MCP server "${this.server}" no longer lists tool "${name}"`);
    const lost = this.lost.signal;
    try {
      return await target.invoke(args, { signal: signal ? AbortSignal.any([signal, lost]) : lost });
    } catch (err) {
      if (signal?.aborted) throw err;
      if (lost.aborted)
        throw new ToolUnavailableError(`MCP server "${this.server}" connection was lost during the call`);
      // The adapters wrap every failure in a ToolException; only a dead connection is ours to retry.
      if (isToolsOwnError(err) || (await this.alive())) throw err;
      await this.drop(`call to ${name} failed: ${messageOf(err)}`);
      throw new ToolUnavailableError(`MCP server "${this.server}" is not reachable: ${messageOf(err)}`);
    }
  }

  /**
   * A broken HTTP response stream is reported only to the client's `onerror`, and the call waiting on it would
   * wait until its timeout: on any transport error, check the server and drop the connection if it is gone.
   */
  private async watchTransport(client: MultiServerMCPClient): Promise<void> {
    const sdk = await client.getClient(this.server).catch(() => undefined);
    if (!sdk) return;
    const previous = sdk.onerror;
    sdk.onerror = (error) => {
      previous?.(error);
      if (this.client !== client || this.checking) return;
      this.checking = this.alive()
        .then((ok) => (ok || this.client !== client ? undefined : this.drop(`transport error: ${error.message}`)))
        .finally(() => (this.checking = undefined));
    };
  }

  private async alive(): Promise<boolean> {
    try {
      const client = await this.client?.getClient(this.server);
      if (!client) return false;
      await client.ping({ timeout: this.options.pingTimeoutMs ?? 2000 });
      return true;
    } catch {
      return false;
    }
  }

  /** Forgets the connection; the next call or reconnect opens a new one. */
  async drop(reason: string): Promise<void> {
    const client = this.client;
    this.client = undefined;
    this.live.clear();
    this.lost.abort();
    if (client)
      this.options.log?.(this.closed ? 'info' : 'warn', `MCP server "${this.server}" disconnected (${reason})`);
    await client?.close().catch(() => undefined);
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.opening?.catch(() => undefined);
    await this.drop('closed');
  }
}

/** An MCP result marked `isError`, an unusable result or bad arguments: the tool answered, the server is fine. */
function isToolsOwnError(err: unknown): boolean {
  const message = messageOf(err);
  return (err as Error)?.name === 'ToolException' && !message.startsWith('Error calling tool');
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
