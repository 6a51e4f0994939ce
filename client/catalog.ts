/**
 * What the workers of a task queue offer: the catalog they published to `agent-catalog/<taskQueue>`, read from
 * its memo (no worker needed), cached briefly. Built-ins when no worker has published.
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { builtinCatalog, type Catalog } from '../agents/catalog';
import { catalogMemoKey, catalogWorkflowId, type PublishedCatalog } from '../agents/catalog-messages';

/** A task queue's catalog, and where it comes from. */
export interface OfferedCatalog extends Catalog {
  /** `published`: merged from the live workers' publications; `builtin`: no worker has published (or none is live). */
  origin: 'published' | 'builtin';
  /** Workers whose catalogs are merged (empty for `builtin`). */
  workers: PublishedCatalog['workers'];
}

/** Reads a task queue's published catalog now. */
export async function fetchCatalog(client: Client, taskQueue: string): Promise<OfferedCatalog> {
  const builtin: OfferedCatalog = { ...builtinCatalog, origin: 'builtin', workers: [] };
  let published: PublishedCatalog | undefined;
  try {
    const description = await client.workflow.getHandle(catalogWorkflowId(taskQueue)).describe();
    if (description.status.name !== 'RUNNING') return builtin;
    published = description.memo?.[catalogMemoKey] as PublishedCatalog | undefined;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return builtin;
    throw err;
  }
  // Every worker withdrew (e.g. all restarting): runs may still start and wait for workers, as before publication.
  if (!published || !Array.isArray(published.workers) || published.workers.length === 0) return builtin;
  return {
    templates: published.templates ?? [],
    tools: published.tools ?? [],
    origin: 'published',
    workers: published.workers,
  };
}

/** {@link fetchCatalog} with a short cache, shared by concurrent callers. */
export class CatalogCache {
  private cached?: { at: number; value: Promise<OfferedCatalog> };

  /** @param ttlMs how long a read catalog is used, in milliseconds. Default 2,000. */
  constructor(
    private readonly client: Client,
    private readonly taskQueue: string,
    private readonly ttlMs = 2000,
  ) {}

  get(): Promise<OfferedCatalog> {
    const now = Date.now();
    if (this.cached && now - this.cached.at < this.ttlMs) return this.cached.value;
    const value = fetchCatalog(this.client, this.taskQueue);
    this.cached = { at: now, value };
    // A failed read is not cached, nor is the built-in fallback: the first worker may publish any moment, and runs
    // started meanwhile would record the fallback (built-ins not local, no code tools) for as long as it is cached.
    const forget = () => this.cached?.value === value && (this.cached = undefined);
    value.then((catalog) => catalog.origin === 'builtin' && forget(), forget);
    return value;
  }

  /** Forget the cached catalog; the next `get` reads it again. */
  invalidate(): void {
    this.cached = undefined;
  }
}
