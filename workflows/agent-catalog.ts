/**
 * `agentCatalogWorkflow`: the templates and tools the workers of one task queue offer (`agent-catalog/<queue>`).
 *
 * Each worker publishes its catalog with update-with-start when it starts and when its catalog changes, refreshes
 * it now and then, and withdraws it on graceful shutdown; a worker that stops refreshing (crashed) is dropped
 * after `staleAfterMs`. The merged catalog is kept in the memo, so clients read it with `describe()` even when no
 * worker runs. Deterministic code only; time is workflow time.
 */
import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  setHandler,
  upsertMemo,
  workflowInfo,
} from '@temporalio/workflow';
import {
  catalogMemoKey,
  catalogMessageDescriptions as descriptions,
  catalogQuery,
  mergeCatalogs,
  publishCatalogUpdate,
  withdrawCatalogSignal,
  type AgentCatalogInput,
  type PublishCatalogInput,
  type PublishCatalogResult,
  type WithdrawCatalogInput,
  type WorkerCatalogEntry,
} from '../agents/catalog-messages';
import { ErrorType } from '../agents/errors';
import { workflowNow } from './clock';
import { internalSignal, setInternalSignalHandlers } from './internal-signals';

const defaultStaleAfterMs = 10 * 60_000;
const defaultHistoryEventLimit = 2_000;

export async function agentCatalogWorkflow(input: AgentCatalogInput = {}): Promise<void> {
  const book = new CatalogBook(input.carried ?? [], input.staleAfterMs ?? defaultStaleAfterMs);
  setHandler(publishCatalogUpdate, (published) => book.publish(published), {
    validator: checkPublishInput,
    description: descriptions.publishCatalog,
  });
  // Sent by workers, never by operators: an internal signal, not listed as a control in the Web UI.
  setInternalSignalHandlers(
    internalSignal(withdrawCatalogSignal, (withdrawn) => withdrawn && book.withdraw(withdrawn)),
  );
  setHandler(catalogQuery, () => mergeCatalogs(book.entries), { description: descriptions.catalog });
  book.writeMemo();
  const limit = input.historyEventLimit ?? defaultHistoryEventLimit;
  const mustContinue = () => workflowInfo().continueAsNewSuggested || workflowInfo().historyLength >= limit;
  while (!mustContinue()) {
    const expiry = book.nextExpiry();
    // Wakes for the next worker to go stale, or when history asks to continue as new.
    await condition(mustContinue, expiry === undefined ? '1 day' : Math.max(1, expiry - workflowNow()));
    book.prune();
  }
  await condition(allHandlersFinished);
  await continueAsNew<typeof agentCatalogWorkflow>({ ...input, carried: book.entries });
}

class CatalogBook {
  private memo = '';

  constructor(
    public entries: WorkerCatalogEntry[],
    private readonly staleAfterMs: number,
  ) {}

  publish({ worker, digest, catalog }: PublishCatalogInput): PublishCatalogResult {
    const now = workflowNow();
    const existing = this.entries.find((e) => e.worker === worker);
    if (!catalog) {
      if (!existing || existing.digest !== digest) return { needCatalog: true };
      existing.seenAt = now;
      this.prune();
      return { needCatalog: false };
    }
    const entry: WorkerCatalogEntry = {
      worker,
      digest,
      catalog,
      publishedAt: existing?.digest === digest ? existing.publishedAt : now,
      seenAt: now,
    };
    this.entries = [...this.entries.filter((e) => e.worker !== worker), entry];
    this.prune();
    return { needCatalog: false };
  }

  withdraw({ worker }: WithdrawCatalogInput): void {
    if (typeof worker !== 'string') return;
    this.entries = this.entries.filter((e) => e.worker !== worker);
    this.writeMemo();
  }

  /** Epoch milliseconds when the next entry goes stale. */
  nextExpiry(): number | undefined {
    return this.entries.length ? Math.min(...this.entries.map((e) => e.seenAt)) + this.staleAfterMs : undefined;
  }

  prune(): void {
    const cutoff = workflowNow() - this.staleAfterMs;
    this.entries = this.entries.filter((e) => e.seenAt > cutoff);
    this.writeMemo();
  }

  /** Upserts the memo only when the merged catalog changed, so refreshes add no memo events. */
  writeMemo(): void {
    const merged = JSON.stringify(mergeCatalogs(this.entries));
    if (merged === this.memo) return;
    this.memo = merged;
    upsertMemo({ [catalogMemoKey]: JSON.parse(merged) });
  }
}

/** Hand checks (no zod in workflow code): a bad publication is rejected before it reaches history. */
function checkPublishInput(input: PublishCatalogInput): void {
  const bad = (message: string) => {
    throw ApplicationFailure.create({
      type: ErrorType.InvalidInput,
      message: `Invalid publishCatalog input: ${message}`,
      nonRetryable: true,
    });
  };
  if (!input || typeof input !== 'object') bad('expected an object');
  if (typeof input.worker !== 'string' || !input.worker || input.worker.length > 300)
    bad('worker: a string of 1 to 300 characters');
  if (typeof input.digest !== 'string' || !input.digest || input.digest.length > 100)
    bad('digest: a string of 1 to 100 characters');
  const { catalog } = input;
  if (catalog === undefined) return;
  if (!catalog || !Array.isArray(catalog.templates) || !Array.isArray(catalog.tools))
    bad('catalog: { templates: [...], tools: [...] }');
  for (const t of [...catalog.templates, ...catalog.tools])
    if (!t || typeof t.name !== 'string') bad('catalog: every template and tool needs a name');
}
