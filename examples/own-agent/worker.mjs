/**
 * Your own worker: one LangChain tool that calls the inventory service and one template with structured
 * output that uses it. Built-ins are left out, so this worker offers exactly these.
 *
 * Env: TEMPORAL_ADDRESS (default localhost:7233), AGENT_TASK_QUEUE (default own-agent),
 * INVENTORY_URL (default http://127.0.0.1:4100); provider keys (OPENAI_API_KEY, ...) for real models.
 */
import { tool } from '@langchain/core/tools';
import { z } from 'zod';
import { createAgentWorker, loadProviderEnv, NativeConnection } from 'temporal-agents/worker';

const inventoryUrl = process.env.INVENTORY_URL ?? 'http://127.0.0.1:4100';
const taskQueue = process.env.AGENT_TASK_QUEUE ?? 'own-agent';

// Runs as an activity: retried on failure, with the same policy, rate limits and events as built-in tools.
const checkStock = tool(
  async ({ sku }) => {
    const res = await fetch(`${inventoryUrl}/stock/${encodeURIComponent(sku)}`);
    if (res.status === 404) return `No item with sku ${sku}.`;
    if (!res.ok) throw new Error(`inventory service answered ${res.status}`);
    return JSON.stringify(await res.json());
  },
  {
    name: 'check_stock',
    description: 'Current stock of an item: quantity on hand and warehouse.',
    schema: z.object({ sku: z.string().describe('item sku, e.g. SKU-1') }),
  },
);

const stockReport = {
  name: 'stock_report',
  description: 'Checks the stock of one item and reports whether it can ship.',
  systemPrompt: 'You are an inventory assistant. Use check_stock to look the item up, then answer.',
  input: z.object({ task: z.string() }),
  tools: ['check_stock'],
  maxSteps: 4,
  outputSchema: z.object({
    sku: z.string(),
    available: z.boolean(),
    quantity: z.number().int().min(0),
    warehouse: z.string(),
  }),
};

const connection = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS ?? 'localhost:7233' });
const worker = await createAgentWorker({
  connection,
  namespace: process.env.TEMPORAL_NAMESPACE ?? 'default',
  taskQueue,
  activities: { providerEnv: loadProviderEnv() },
  agents: {
    builtins: false,
    tools: [checkStock],
    templates: [stockReport],
    log: (level, message) => console.log(`[${level}] ${message}`),
  },
});

for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => worker.shutdown());
console.log(`worker polling ${taskQueue}`);
await worker.run();
await connection.close();
