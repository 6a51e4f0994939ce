/**
 * `agentctl templates` and `agentctl tools`: what the workers of a task queue offer, with each one's source.
 *
 * Handlers return the human text and the `--json` document, so any command table can print them.
 */
import type { Client } from '@temporalio/client';
import type { TemplateDescriptor, ToolDescriptor } from '../agents/catalog';
import { fetchCatalog, type OfferedCatalog } from './catalog';
import { formatTable } from './cli-format';

export interface CatalogCommandOutput {
  /** Table for people, with a note when no worker has published. */
  human: string;
  /** `--json`: an array of descriptors. */
  machine: TemplateDescriptor[] | ToolDescriptor[];
}

/** `agentctl templates [--json]`. */
export async function templatesCommand(client: Client, taskQueue: string): Promise<CatalogCommandOutput> {
  const catalog = await fetchCatalog(client, taskQueue);
  return { human: withOrigin(formatTemplateTable(catalog.templates), catalog, taskQueue), machine: catalog.templates };
}

/** `agentctl tools [--json]`. */
export async function toolsCommand(client: Client, taskQueue: string): Promise<CatalogCommandOutput> {
  const catalog = await fetchCatalog(client, taskQueue);
  return { human: withOrigin(formatToolTable(catalog.tools), catalog, taskQueue), machine: catalog.tools };
}

export function formatTemplateTable(templates: TemplateDescriptor[]): string {
  if (templates.length === 0) return 'no templates';
  return formatTable(
    ['TEMPLATE', 'SOURCE', 'MAX STEPS', 'TOOLS', 'DESCRIPTION'],
    templates.map((t) => [t.name, t.source, String(t.maxSteps), t.tools.join(',') || '-', t.description || '-']),
  );
}

export function formatToolTable(tools: ToolDescriptor[]): string {
  if (tools.length === 0) return 'no tools';
  return formatTable(
    ['TOOL', 'SOURCE', 'TASK QUEUE', 'DESCRIPTION'],
    tools.map((t) => [t.name, t.source, t.taskQueue ?? '-', t.description || '-']),
  );
}

function withOrigin(table: string, catalog: OfferedCatalog, taskQueue: string): string {
  if (catalog.origin === 'builtin')
    return `${table}\n(built-ins: no worker on task queue "${taskQueue}" has published a catalog)`;
  return `${table}\n(published by ${catalog.workers.length} worker${catalog.workers.length === 1 ? '' : 's'} on task queue "${taskQueue}")`;
}
