/** Registers our search attributes in the namespace when missing, so a hand-started dev server works. */
import { temporal } from '@temporalio/proto';
import type { NativeConnection } from '@temporalio/worker';
import { SearchAttributeType } from '@temporalio/common';
import { agentSearchAttributeKeys } from '../agents/search-attributes';

const indexedType: Record<string, temporal.api.enums.v1.IndexedValueType> = {
  [SearchAttributeType.KEYWORD]: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  [SearchAttributeType.INT]: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_INT,
  [SearchAttributeType.TEXT]: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_TEXT,
  [SearchAttributeType.DATETIME]: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
};

/** Returns the names it added. */
export async function ensureSearchAttributes(connection: NativeConnection, namespace: string): Promise<string[]> {
  const existing = await connection.operatorService.listSearchAttributes({ namespace });
  const known = new Set(Object.keys(existing.customAttributes ?? {}));
  const missing = agentSearchAttributeKeys.filter((key) => !known.has(key.name));
  if (missing.length === 0) return [];
  try {
    await connection.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(missing.map((key) => [key.name, indexedType[key.type]])),
    });
  } catch (err) {
    // Another worker may have added them at the same moment.
    if (!/already exists/i.test(String((err as Error).message))) throw err;
  }
  return missing.map((key) => key.name);
}
