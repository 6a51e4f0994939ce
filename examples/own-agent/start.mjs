/**
 * Your own service: starts a `stock_report` run on the worker's task queue and prints its result.
 *
 * Usage: node start.mjs [model] [sku]   (model default AGENT_DEFAULT_MODEL, e.g. openai:gpt-4o-mini)
 * Env: TEMPORAL_ADDRESS, AGENT_TASK_QUEUE as for worker.mjs.
 */
import { AgentClient, connectClient } from 'temporal-agents/client';

const [model, sku = 'SKU-1'] = process.argv.slice(2);
const temporal = await connectClient();
try {
  const agents = new AgentClient(temporal, { taskQueue: process.env.AGENT_TASK_QUEUE ?? 'own-agent' });
  const run = await agents.start({
    template: 'stock_report',
    input: { task: process.env.TASK ?? `Can we ship ${sku} today?` },
    ...(model ? { model } : {}),
    user: 'example-user',
  });
  console.error(`started ${run.runId}`);
  console.log(JSON.stringify(await run.result()));
} finally {
  await temporal.connection.close();
}
