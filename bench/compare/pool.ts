/** Small helpers for the benches: a concurrency-limited map, medians and percentiles, formatting. */

/** Runs `fn` over `items` with at most `limit` calls in flight; results in item order. */
export async function pool<T, R>(items: T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i], i);
      }
    }),
  );
  return out;
}

/** Like {@link pool}, but a call that throws is counted, not fatal: returns the errors. */
export async function poolSettled<T>(
  items: T[],
  limit: number,
  fn: (item: T, index: number) => Promise<void>,
): Promise<Error[]> {
  const errors: Error[] = [];
  await pool(items, limit, (item, i) => fn(item, i).catch((err: Error) => void errors.push(err)));
  return errors;
}

export function median(values: number[]): number {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** The `p`th percentile of values sorted ascending (nearest rank); NaN when empty. */
export const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export const mb = (bytes: number) => `${(bytes / 1e6).toFixed(0)} MB`;
export const kb = (bytes: number) => `${(bytes / 1e3).toFixed(0)} KB`;
