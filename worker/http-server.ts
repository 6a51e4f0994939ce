/** The worker's HTTP endpoints: /metrics (Prometheus), /healthz (process alive), /readyz (connected and polling). */
import { createServer, type Server } from 'node:http';

export interface WorkerHttpServerOptions {
  port: number;
  host: string;
  metrics: { metricsText(): Promise<string>; contentType: string };
  /** True while the worker is connected to Temporal and polling. */
  isReady: () => boolean;
}

export async function startWorkerHttpServer(options: WorkerHttpServerOptions): Promise<Server> {
  const server = createServer(async (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    try {
      if (path === '/metrics') {
        const body = await options.metrics.metricsText();
        res.writeHead(200, { 'content-type': options.metrics.contentType }).end(body);
      } else if (path === '/healthz') {
        res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
      } else if (path === '/readyz') {
        const ready = options.isReady();
        res.writeHead(ready ? 200 : 503, { 'content-type': 'text/plain' }).end(ready ? 'ready\n' : 'not ready\n');
      } else {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      }
    } catch (err) {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(`error: ${(err as Error).message}\n`);
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  return server;
}
