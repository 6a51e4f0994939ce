/**
 * The published catalog of a task queue: `agentCatalogWorkflow`'s messages and wire types, declared once for
 * workers (which publish), the workflow and clients (which read the memo). Workflow-safe: no zod.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { Catalog } from './catalog';

/** Workflow id of a task queue's catalog. */
export function catalogWorkflowId(taskQueue: string): string {
  return `agent-catalog/${taskQueue}`;
}

export interface PublishCatalogInput {
  /** The worker's identity; a worker's later publication replaces its earlier one. */
  worker: string;
  /** Hash of the catalog, so an unchanged catalog is refreshed without sending it again. */
  digest: string;
  /** Left out when the workflow already holds this digest for this worker. */
  catalog?: Catalog;
}

export interface PublishCatalogResult {
  /** The workflow does not hold this digest for this worker: publish again with the catalog. */
  needCatalog: boolean;
}

export interface WithdrawCatalogInput {
  worker: string;
}

export interface WorkerCatalogEntry {
  worker: string;
  digest: string;
  catalog: Catalog;
  /** When this catalog (this digest) was published, epoch milliseconds (workflow time). */
  publishedAt: number;
  /** Last publication or refresh, epoch milliseconds (workflow time). */
  seenAt: number;
}

/** The merged catalog of the workers on a task queue, as the workflow's memo (`catalog`) holds it. */
export interface PublishedCatalog extends Catalog {
  /** Workers whose catalogs are merged here. */
  workers: { worker: string; digest: string; publishedAt: number }[];
}

/** Memo key of the merged catalog: clients read it with `describe()`, which needs no worker. */
export const catalogMemoKey = 'catalog';

export interface AgentCatalogInput {
  /** A worker's entry is dropped when it has not refreshed for this long, in milliseconds. Default 10 minutes. */
  staleAfterMs?: number;
  /** Continue as new after this many history events. Default 2,000. */
  historyEventLimit?: number;
  /** Set only by the workflow itself when it continues as new. */
  carried?: WorkerCatalogEntry[];
}

export const publishCatalogUpdate = defineUpdate<PublishCatalogResult, [PublishCatalogInput]>('publishCatalog');
export const withdrawCatalogSignal = defineSignal<[WithdrawCatalogInput]>('withdrawCatalog');
export const catalogQuery = defineQuery<PublishedCatalog>('catalog');

export const catalogMessageDescriptions = {
  publishCatalog:
    'Internal (sent by workers). A worker publishes (or refreshes) the templates and tools it offers on this task queue.',
  catalog: 'The merged catalog of the live workers on this task queue (also in the memo).',
} as const;

/**
 * Merges workers' catalogs: every template and tool any worker offers; for a name offered by several, the most
 * recently published descriptor.
 */
export function mergeCatalogs(entries: readonly WorkerCatalogEntry[]): PublishedCatalog {
  const byAge = [...entries].sort((a, b) => a.publishedAt - b.publishedAt || (a.worker < b.worker ? -1 : 1));
  const templates = new Map<string, Catalog['templates'][number]>();
  const tools = new Map<string, Catalog['tools'][number]>();
  for (const entry of byAge) {
    for (const template of entry.catalog.templates) templates.set(template.name, template);
    for (const tool of entry.catalog.tools) tools.set(tool.name, tool);
  }
  return {
    templates: [...templates.values()],
    tools: [...tools.values()],
    workers: byAge.map(({ worker, digest, publishedAt }) => ({ worker, digest, publishedAt })),
  };
}
