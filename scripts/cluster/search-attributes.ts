/**
 * Registers our search attributes in the cluster's namespace (the same call the worker makes at start) and
 * waits until visibility accepts a query on them: on SQL visibility new attributes reach every frontend
 * through the namespace cache, seconds later. Env: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE.
 */
import { Connection } from '@temporalio/client';
import { SearchAttributeType } from '@temporalio/common';
import { NativeConnection } from '@temporalio/worker';
import { agentSearchAttributeKeys } from '../../agents/search-attributes';
import { ensureSearchAttributes } from '../../worker/search-attributes';

const address = process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233';
const namespace = process.env.TEMPORAL_NAMESPACE ?? 'default';
const timeoutMs = 120_000;

/** Calls `fn` until it resolves; a namespace just created reaches each service's cache seconds later. */
async function retry<T>(what: string, deadline: number, fn: () => Promise<T>): Promise<T> {
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() > deadline)
        throw new Error(`${what} failed for ${timeoutMs / 1000} s: ${(err as Error).message}`, { cause: err });
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

async function main(): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const native = await NativeConnection.connect({ address });
  try {
    const added = await retry('registering search attributes', deadline, () =>
      ensureSearchAttributes(native, namespace),
    );
    if (added.length) console.log(`registered search attributes: ${added.join(', ')}`);
  } finally {
    await native.close();
  }
  const connection = await Connection.connect({ address });
  const query = agentSearchAttributeKeys
    .filter((k) => k.type === SearchAttributeType.KEYWORD)
    .map((k) => `${k.name} = 'probe'`)
    .join(' AND ');
  try {
    await retry('a visibility query on them', deadline, () =>
      connection.workflowService.countWorkflowExecutions({ namespace, query }),
    );
  } finally {
    await connection.close();
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
