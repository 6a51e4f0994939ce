/**
 * Model prices in USD per 1M tokens (input, output, cached input), by model glob, and the cost of a call.
 *
 * Defaults are list prices of common OpenAI and Anthropic models; override or extend them with the
 * policy's `pricing` (checked first) or `createPriceTable(overrides)`. A model without a price costs 0.
 */
import { costOf, type Price } from '../../agents/ledger';
import { globToRegExp } from './policy';

/**
 * Built-in prices, most specific pattern first. `scripted:*` is not a real model: its small price only
 * makes costs visible in demos and tests.
 */
export const defaultPrices: Record<string, Price> = {
  'openai:gpt-4o-mini*': { input: 0.15, output: 0.6, cached: 0.075 },
  'openai:gpt-4o*': { input: 2.5, output: 10, cached: 1.25 },
  'openai:gpt-4.1-nano*': { input: 0.1, output: 0.4, cached: 0.025 },
  'openai:gpt-4.1-mini*': { input: 0.4, output: 1.6, cached: 0.1 },
  'openai:gpt-4.1*': { input: 2, output: 8, cached: 0.5 },
  'openai:gpt-5-nano*': { input: 0.05, output: 0.4, cached: 0.005 },
  'openai:gpt-5-mini*': { input: 0.25, output: 2, cached: 0.025 },
  'openai:gpt-5*': { input: 1.25, output: 10, cached: 0.125 },
  'openai:o4-mini*': { input: 1.1, output: 4.4, cached: 0.275 },
  'openai:o3-mini*': { input: 1.1, output: 4.4, cached: 0.55 },
  'openai:o3*': { input: 2, output: 8, cached: 0.5 },
  'anthropic:claude-3-haiku*': { input: 0.25, output: 1.25, cached: 0.03 },
  'anthropic:claude-3-5-haiku*': { input: 0.8, output: 4, cached: 0.08 },
  'anthropic:claude-haiku-4*': { input: 1, output: 5, cached: 0.1 },
  'anthropic:claude-3-5-sonnet*': { input: 3, output: 15, cached: 0.3 },
  'anthropic:claude-3-7-sonnet*': { input: 3, output: 15, cached: 0.3 },
  'anthropic:claude-sonnet-4*': { input: 3, output: 15, cached: 0.3 },
  'anthropic:claude-opus-4*': { input: 15, output: 75, cached: 1.5 },
  'ollama:*': { input: 0, output: 0 },
  'scripted:*': { input: 1, output: 2, cached: 0.5 },
};

export const zeroPrice: Price = { input: 0, output: 0, cached: 0 };

export interface PriceTable {
  /** Price of a model spec (`?options` ignored); {@link zeroPrice} when nothing matches. */
  priceOf(model: string): Price;
  /** USD of one call's usage. */
  costOf(model: string, usage: { inputTokens: number; outputTokens: number; cachedTokens: number }): number;
}

/** Overrides first (in their order), then {@link defaultPrices}. */
export function createPriceTable(overrides: Record<string, Price> = {}): PriceTable {
  const entries = [...Object.entries(overrides), ...Object.entries(defaultPrices)].map(
    ([glob, price]) => [globToRegExp(glob), price] as const,
  );
  const cache = new Map<string, Price>();
  const priceOf = (model: string): Price => {
    const name = model.split('?')[0];
    let price = cache.get(name);
    if (!price) {
      price = entries.find(([re]) => re.test(name))?.[1] ?? zeroPrice;
      cache.set(name, price);
    }
    return price;
  };
  return { priceOf, costOf: (model, usage) => costOf(priceOf(model), usage) };
}

const tables = new WeakMap<object, PriceTable>();

/** The price table of a policy (its `pricing` first, then `base`, then the defaults); built once per policy object. */
export function priceTableFor(
  policy: { pricing: Record<string, Price> },
  base: Record<string, Price> = {},
): PriceTable {
  let table = tables.get(policy);
  if (!table)
    tables.set(policy, (table = createPriceTable({ ...policy.pricing, ...withoutKeys(base, policy.pricing) })));
  return table;
}

function withoutKeys<T>(record: Record<string, T>, drop: Record<string, unknown>): Record<string, T> {
  return Object.fromEntries(Object.entries(record).filter(([k]) => !(k in drop)));
}
