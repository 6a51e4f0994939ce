/** The codec server over HTTP: Temporal's codec protocol, CORS for the Web UI, bearer token. No Temporal server needed. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { defaultPayloadConverter } from '@temporalio/common';
import { createPayloadCodecs, loadPayloadCodecSettings, startCodecServer, type CodecServer } from '../../codec';

const token = randomBytes(24).toString('hex');
const dir = mkdtempSync(join(tmpdir(), 'codec-server-'));
const keys = `k1:${randomBytes(32).toString('base64')}`;
let server: CodecServer;

before(async () => {
  const codecs = createPayloadCodecs(loadPayloadCodecSettings({ AGENT_PAYLOAD_KEYS: keys, AGENT_BLOB_DIR: dir }));
  server = await startCodecServer({ codecs, port: 0, corsOrigins: ['http://localhost:8233'], authToken: token });
});
after(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

type JsonPayload = { metadata: Record<string, string>; data: string };
const toJson = (value: unknown): JsonPayload => {
  const p = defaultPayloadConverter.toPayload(value);
  return {
    metadata: Object.fromEntries(Object.entries(p.metadata!).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
    data: Buffer.from(p.data!).toString('base64'),
  };
};
const text = (b64: string) => Buffer.from(b64, 'base64').toString();
const post = (path: string, body: unknown, headers: Record<string, string> = { authorization: `Bearer ${token}` }) =>
  fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-namespace': 'default', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

test('/encode then /decode round trips, at any path prefix, for small and blob-sized payloads', async () => {
  const payloads = [toJson({ prompt: 'top secret' }), toJson({ big: 'z'.repeat(400_000) })];
  const encoded = await post('/encode', { payloads });
  assert.equal(encoded.status, 200);
  const { payloads: stored } = (await encoded.json()) as { payloads: JsonPayload[] };
  assert.equal(text(stored[0].metadata.encoding), 'binary/encrypted');
  assert.equal(text(stored[0].metadata['encryption-key-id']), 'k1');
  assert.equal(text(stored[1].metadata.encoding), 'json/blob-ref');
  assert.ok(!text(stored[0].data).includes('top secret'));
  const decoded = await post('/default/decode', { payloads: stored });
  assert.equal(decoded.status, 200);
  assert.deepEqual(((await decoded.json()) as { payloads: JsonPayload[] }).payloads, payloads);
});

test('requests without the bearer token are refused', async () => {
  const attempts: Record<string, string>[] = [{}, { authorization: 'Bearer wrong' }, { authorization: token }];
  for (const headers of attempts) {
    const res = await post('/decode', { payloads: [] }, headers);
    assert.equal(res.status, 401);
    assert.equal(res.headers.get('www-authenticate'), 'Bearer');
  }
});

test('CORS: the UI origin may call it (with credentials), other origins get no grant', async () => {
  const preflight = (origin: string) =>
    fetch(`${server.url}/decode`, {
      method: 'OPTIONS',
      headers: {
        origin,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type,x-namespace,authorization',
      },
    });
  const ui = await preflight('http://localhost:8233');
  assert.equal(ui.status, 204);
  assert.equal(ui.headers.get('access-control-allow-origin'), 'http://localhost:8233');
  assert.equal(ui.headers.get('access-control-allow-credentials'), 'true');
  assert.match(ui.headers.get('access-control-allow-headers') ?? '', /x-namespace/);
  const other = await preflight('https://evil.example');
  assert.equal(other.headers.get('access-control-allow-origin'), null);
  const answer = await post(
    '/decode',
    { payloads: [] },
    { authorization: `Bearer ${token}`, origin: 'http://localhost:8233' },
  );
  assert.equal(answer.headers.get('access-control-allow-origin'), 'http://localhost:8233');
});

test('bad requests get 4xx with the reason', async () => {
  assert.equal((await post('/decode', '{not json')).status, 400);
  const shape = await post('/decode', { payloads: 'nope' });
  assert.equal(shape.status, 400);
  assert.match(await shape.text(), /Invalid body: payloads/);
  const foreign = {
    metadata: {
      encoding: Buffer.from('binary/encrypted').toString('base64'),
      'encryption-key-id': Buffer.from('retired').toString('base64'),
    },
    data: 'AAAA',
  };
  const unknownKey = await post('/decode', { payloads: [foreign] });
  assert.equal(unknownKey.status, 400);
  assert.match(await unknownKey.text(), /key id "retired" is not in AGENT_PAYLOAD_KEYS/);
  assert.equal((await fetch(`${server.url}/decode`, { headers: { authorization: `Bearer ${token}` } })).status, 405);
  assert.equal((await post('/elsewhere', { payloads: [] })).status, 404);
});
