/**
 * bench/bare/: the bare Temporal + LangChain baseline of `npm run bench:compare`; this is its worker, with the
 * default worker options. TEMPORAL_ADDRESS, TASK_QUEUE; BARE_WORKFLOW_BUNDLE: a bundle prebuilt from ./workflows
 * (as production workers load one), else the worker bundles ./workflows itself.
 */
import { NativeConnection, Worker } from '@temporalio/worker';
import * as activities from './activities';

async function main(): Promise<void> {
  const connection = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS ?? 'localhost:7233' });
  const bundle = process.env.BARE_WORKFLOW_BUNDLE;
  const worker = await Worker.create({
    connection,
    taskQueue: process.env.TASK_QUEUE ?? 'bare-agent',
    ...(bundle ? { workflowBundle: { codePath: bundle } } : { workflowsPath: require.resolve('./workflows') }),
    activities,
  });
  try {
    await worker.run();
  } finally {
    await connection.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
