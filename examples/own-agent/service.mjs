/**
 * A tiny inventory service over HTTP: `GET /stock/<sku>` answers `{ sku, quantity, warehouse }` (404 for an
 * unknown sku). It stands for "your company's API" that the agent's tool calls. `node service.mjs` serves it on
 * PORT (default 4100); the tests import `startInventoryService` and read `requests`.
 */
import { createServer } from 'node:http';
import { pathToFileURL } from 'node:url';

const stock = {
  'SKU-1': { quantity: 12, warehouse: 'Lyon' },
  'SKU-2': { quantity: 0, warehouse: 'Lyon' },
  'SKU-3': { quantity: 140, warehouse: 'Porto' },
};

/** Starts the service on a loopback port (0: any free one); `requests` lists the paths it was asked for. */
export async function startInventoryService({ port = 0, host = '127.0.0.1' } = {}) {
  const requests = [];
  const server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    const match = /^\/stock\/([^/?]+)$/.exec(req.url ?? '');
    const sku = match && decodeURIComponent(match[1]);
    const item = sku && Object.hasOwn(stock, sku) ? stock[sku] : undefined;
    res.writeHead(item ? 200 : 404, { 'content-type': 'application/json' });
    res.end(JSON.stringify(item ? { sku, ...item } : { error: `unknown sku ${sku ?? req.url}` }));
  });
  await new Promise((resolve) => server.listen(port, host, resolve));
  const url = `http://${host}:${server.address().port}`;
  return { url, requests, close: () => new Promise((resolve) => server.close(resolve)) };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const service = await startInventoryService({ port: Number(process.env.PORT ?? 4100) });
  console.log(`inventory service on ${service.url}`);
}
