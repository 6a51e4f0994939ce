/**
 * gRPC health of Temporal services (grpc.health.v1, what each of frontend, history, matching and worker serves):
 * `grpc-health.ts 127.0.0.1:7233=temporal.api.workflowservice.v1.WorkflowService ...` prints one line per
 * service and exits 0 only if every one answers SERVING.
 */
import { Connection } from '@temporalio/client';

async function check(address: string, service: string): Promise<string> {
  // Lazy: connect() would also call the WorkflowService, which only the frontend serves.
  const connection = Connection.lazy({ address, connectTimeout: 2000 });
  try {
    const { status } = await connection.withDeadline(Date.now() + 3000, () =>
      connection.healthService.check({ service }),
    );
    // grpc.health.v1.HealthCheckResponse.ServingStatus: 1 SERVING, 2 NOT_SERVING, 3 SERVICE_UNKNOWN.
    return status === 1 ? 'SERVING' : status === 2 ? 'NOT_SERVING' : `status ${status}`;
  } catch (err) {
    return `unreachable: ${(err as Error).message.split('\n')[0]}`;
  } finally {
    await connection.close();
  }
}

async function main(): Promise<void> {
  const targets = process.argv.slice(2).map((arg) => {
    const [address, service] = arg.split('=');
    if (!address || !service) throw new Error(`expected ADDRESS=SERVICE, got ${arg}`);
    return { address, service };
  });
  const results = await Promise.all(targets.map(async (t) => ({ ...t, status: await check(t.address, t.service) })));
  for (const r of results) console.log(`${r.address} ${r.service.split('.').pop()} ${r.status}`);
  process.exitCode = results.every((r) => r.status === 'SERVING') ? 0 : 1;
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(2);
});
