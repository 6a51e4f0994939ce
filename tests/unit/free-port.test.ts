/** Free ports: never the same one twice in a process; those for another process out of the range the OS hands out. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { freePort, portForAnotherProcess, portIsFree } from '../../worker/free-port';

const ephemeralStart = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').split(/\s+/)[0]);

const hold = (port: number) =>
  new Promise<{ close(): Promise<void> }>((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () =>
      resolve({ close: () => new Promise<void>((done) => server.close(() => done())) }),
    );
  });

test('forty ports for other processes: no two alike, each below the ephemeral range, each bindable', async () => {
  const ports: number[] = [];
  for (let i = 0; i < 40; i++) ports.push(await portForAnotherProcess());
  assert.equal(new Set(ports).size, ports.length);
  for (const port of ports) {
    assert.ok(port >= 10_000 && port < ephemeralStart, `${port} outside [10000, ${ephemeralStart})`);
    await (await hold(port)).close();
  }
});

test('a port whose holder let it go is not handed out again, by either kind, even to calls made at once', async () => {
  const first = await freePort();
  await (await hold(first)).close(); // free again for the OS, not for this process
  const next = await Promise.all([
    ...Array.from({ length: 20 }, () => freePort()),
    ...Array.from({ length: 20 }, () => portForAnotherProcess()),
  ]);
  assert.ok(!next.includes(first));
  assert.equal(new Set(next).size, next.length);
});

test('portIsFree: false while a server holds the port, true once it lets go', async () => {
  const port = await freePort();
  const server = await hold(port);
  assert.equal(await portIsFree(port), false);
  await server.close();
  assert.equal(await portIsFree(port), true);
});
