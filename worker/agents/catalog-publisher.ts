/**
 * `CatalogPublisherPlugin`: while the worker runs, publishes its catalog to `agent-catalog/<taskQueue>` (at start,
 * on every change, and as a refresh now and then), then withdraws it and closes its MCP connections on shutdown.
 */
import { WithStartWorkflowOperation, type Client } from '@temporalio/client';
import type { Worker, WorkerPlugin } from '@temporalio/worker';
import {
  catalogWorkflowId,
  publishCatalogUpdate,
  withdrawCatalogSignal,
  type AgentCatalogInput,
} from '../../agents/catalog-messages';
import type { agentCatalogWorkflow } from '../../workflows';
import type { WorkerAgents } from './worker-agents';

export interface CatalogPublisherOptions {
  client: Client;
  taskQueue: string;
  /** Names this worker's entry; unique per worker (two workers in one process too). */
  worker: string;
  /** How often an unchanged catalog is refreshed, in milliseconds. Default 120,000 (entries go stale after 10 minutes). */
  refreshIntervalMs?: number;
  /** Wait before trying a failed publication again, in milliseconds. Default 5,000. */
  retryDelayMs?: number;
  log?: (level: 'info' | 'warn' | 'error', message: string) => void;
}

export class CatalogPublisherPlugin implements WorkerPlugin {
  readonly name = 'temporal-agents.catalog-publisher';
  /** Digest the workflow has acknowledged for this worker. */
  private acknowledged?: string;
  private running = false;
  private pending = false;
  private inFlight?: Promise<void>;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly agents: WorkerAgents,
    private readonly options: CatalogPublisherOptions,
  ) {}

  async runWorker(worker: Worker, next: (w: Worker) => Promise<void>): Promise<void> {
    this.running = true;
    const unsubscribe = this.agents.onChange(() => this.request());
    // Not awaited: the update is served by a worker of this queue, possibly this one once it polls.
    this.request();
    try {
      await next(worker);
    } finally {
      this.running = false;
      unsubscribe();
      if (this.timer) clearTimeout(this.timer);
      await this.withdraw();
      await this.agents.close();
    }
  }

  /** Publishes now, or right after the publication in flight. */
  private request(): void {
    if (!this.running) return;
    if (this.inFlight) return void (this.pending = true);
    if (this.timer) clearTimeout(this.timer);
    this.inFlight = this.publish().finally(() => {
      this.inFlight = undefined;
      if (this.pending) {
        this.pending = false;
        this.request();
      }
    });
  }

  private async publish(): Promise<void> {
    const digest = this.agents.digest();
    let delay = this.options.refreshIntervalMs ?? 120_000;
    try {
      let result = await this.send(digest, digest !== this.acknowledged);
      if (result.needCatalog) result = await this.send(digest, true);
      if (this.acknowledged !== digest)
        this.options.log?.(
          'info',
          `catalog published to ${catalogWorkflowId(this.options.taskQueue)} (digest ${digest})`,
        );
      this.acknowledged = digest;
    } catch (err) {
      if (!this.running) return;
      this.options.log?.('warn', `could not publish the catalog: ${(err as Error).message}; trying again`);
      delay = this.options.retryDelayMs ?? 5000;
    }
    if (this.running) this.timer = setTimeout(() => this.request(), delay).unref();
  }

  private send(digest: string, withCatalog: boolean) {
    const { client, taskQueue, worker } = this.options;
    return client.workflow.executeUpdateWithStart(publishCatalogUpdate, {
      args: [{ worker, digest, ...(withCatalog ? { catalog: this.agents.catalog() } : {}) }],
      startWorkflowOperation: new WithStartWorkflowOperation<typeof agentCatalogWorkflow>('agentCatalogWorkflow', {
        workflowId: catalogWorkflowId(taskQueue),
        taskQueue,
        args: [{} as AgentCatalogInput],
        workflowIdConflictPolicy: 'USE_EXISTING',
        staticSummary: `templates and tools offered on task queue ${taskQueue}`,
      }),
    });
  }

  /** A signal is durable once sent: no worker is needed to take it. */
  private async withdraw(): Promise<void> {
    try {
      await this.options.client.workflow
        .getHandle(catalogWorkflowId(this.options.taskQueue))
        .signal(withdrawCatalogSignal, { worker: this.options.worker });
    } catch (err) {
      this.options.log?.('warn', `could not withdraw the catalog: ${(err as Error).message}`);
    }
  }
}
