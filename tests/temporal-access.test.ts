/**
 * Access to a Temporal server as Temporal Cloud needs it: worker and client read TEMPORAL_API_KEY, TEMPORAL_TLS*,
 * TEMPORAL_PROFILE from env (via envconfig). Units check the resolved options; then a worker and a client connect
 * through a real TLS endpoint (our mTLS proxy in front of the dev server, which has no TLS of its own), and the
 * proxy sees their client certificate and API key on every call.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { NativeConnection } from '@temporalio/worker';
import { AgentClient, connectClient } from '../client';
import { loadTemporalSettings } from '../worker/config';
import { createAgentWorker } from '../worker/create-worker';
import { makeCertificates, startTlsProxy, type TestCertificates, type TlsProxy } from './fixtures/tls-proxy';
import { startDevEnvironment, uniqueTaskQueue } from '../testing/environment';

const dir = mkdtempSync(join(tmpdir(), 'temporal-access-'));
const apiKey = 'test-api-key-0123456789';
let certs: TestCertificates;
let env: TestWorkflowEnvironment;
let proxy: TlsProxy;

before(async () => {
  certs = makeCertificates(dir);
  env = await startDevEnvironment();
  proxy = await startTlsProxy(env.address, certs);
});

after(async () => {
  await proxy.close();
  await env.teardown();
  rmSync(dir, { recursive: true, force: true });
});

test('an API key alone turns TLS on (Temporal Cloud with an API key)', () => {
  const s = loadTemporalSettings({
    TEMPORAL_ADDRESS: 'my-ns.a1b2c.tmprl.cloud:7233',
    TEMPORAL_NAMESPACE: 'my-ns.a1b2c',
    TEMPORAL_API_KEY: apiKey,
  });
  assert.equal(s.address, 'my-ns.a1b2c.tmprl.cloud:7233');
  assert.equal(s.namespace, 'my-ns.a1b2c');
  assert.equal(s.connectionOptions.apiKey, apiKey);
  assert.equal(s.connectionOptions.tls, true);
});

test('mTLS from certificate and key paths (Temporal Cloud with certificates); TEMPORAL_TLS=false turns TLS off', () => {
  const s = loadTemporalSettings({
    TEMPORAL_ADDRESS: 'my-ns.a1b2c.tmprl.cloud:7233',
    TEMPORAL_TLS_CLIENT_CERT_PATH: certs.clientCertPath,
    TEMPORAL_TLS_CLIENT_KEY_PATH: certs.clientKeyPath,
    TEMPORAL_TLS_SERVER_CA_CERT_PATH: certs.caCertPath,
    TEMPORAL_TLS_SERVER_NAME: 'localhost',
  });
  const tls = s.connectionOptions.tls as {
    clientCertPair: { crt: Uint8Array; key: Uint8Array };
    serverRootCACertificate: Uint8Array;
    serverNameOverride: string;
  };
  assert.ok(Buffer.from(tls.clientCertPair.crt).equals(readFileSync(certs.clientCertPath)));
  assert.ok(Buffer.from(tls.clientCertPair.key).equals(readFileSync(certs.clientKeyPath)));
  assert.ok(Buffer.from(tls.serverRootCACertificate).equals(readFileSync(certs.caCertPath)));
  assert.equal(tls.serverNameOverride, 'localhost');
  assert.equal(s.connectionOptions.apiKey, undefined);
  assert.equal(loadTemporalSettings({ TEMPORAL_API_KEY: apiKey, TEMPORAL_TLS: 'false' }).connectionOptions.tls, false);
});

test('a profile from the config file, overridden by env', () => {
  const file = join(dir, 'temporal.toml');
  writeFileSync(
    file,
    `[profile.prod]\naddress = "prod.example:7233"\nnamespace = "prod"\napi_key = "from-file"\n[profile.prod.grpc_meta]\nx-team = "agents"\n`,
  );
  const s = loadTemporalSettings({
    TEMPORAL_CONFIG_FILE: file,
    TEMPORAL_PROFILE: 'prod',
    TEMPORAL_NAMESPACE: 'prod-2',
  });
  assert.equal(s.address, 'prod.example:7233');
  assert.equal(s.namespace, 'prod-2');
  assert.equal(s.connectionOptions.apiKey, 'from-file');
  assert.equal(s.connectionOptions.tls, true);
  assert.deepEqual(s.connectionOptions.metadata, { 'x-team': 'agents' });
  assert.throws(
    () => loadTemporalSettings({ TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'staging' }),
    /Profile 'staging' not found/,
  );
});

test('worker and client connect over mTLS with the API key, all from env, and run an agent', async () => {
  const temporalEnv = {
    TEMPORAL_ADDRESS: proxy.address,
    TEMPORAL_NAMESPACE: env.namespace ?? 'default',
    TEMPORAL_API_KEY: apiKey,
    TEMPORAL_TLS_SERVER_CA_CERT_PATH: certs.caCertPath,
    TEMPORAL_TLS_SERVER_NAME: 'localhost',
    TEMPORAL_TLS_CLIENT_CERT_PATH: certs.clientCertPath,
    TEMPORAL_TLS_CLIENT_KEY_PATH: certs.clientKeyPath,
    AGENT_BLOB_DIR: join(dir, 'blobs'),
  };
  const settings = loadTemporalSettings(temporalEnv);
  const connection = await NativeConnection.connect(settings.connectionOptions);
  const taskQueue = uniqueTaskQueue('tls');
  const worker = await createAgentWorker({
    connection,
    namespace: settings.namespace,
    taskQueue,
    activities: { providerEnv: {} },
  });
  const client = await connectClient(temporalEnv);
  try {
    const answer = await worker.runUntil(async () => {
      const run = await new AgentClient(client, { taskQueue }).start({
        template: 'react',
        input: { task: 'What is 6 * 7?' },
        user: 'tls-user',
        model: 'scripted:auto',
      });
      return (await run.result()).answer;
    });
    assert.equal(answer, 'The answer is 42.');
  } finally {
    await client.connection.close();
    await connection.close();
  }
  const agents = new Set(proxy.calls.map((c) => c.userAgent?.split('/')[0]));
  console.log(`through the TLS proxy: ${proxy.calls.length} calls from ${[...agents].join(', ')}`);
  assert.ok(
    proxy.calls.some((c) => c.path.endsWith('/PollWorkflowTaskQueue')),
    'the worker did not poll through the proxy',
  );
  assert.ok(
    proxy.calls.some((c) => c.path.endsWith('/StartWorkflowExecution')),
    'the client did not start the run through the proxy',
  );
  assert.ok(agents.size >= 2, 'expected calls from both the worker (core) and the client (grpc-js)');
  for (const call of proxy.calls) {
    assert.equal(call.authorization, `Bearer ${apiKey}`, `${call.path} came without the API key`);
    assert.equal(call.clientCertificate, 'agent-worker');
  }
  // The endpoint really demands the certificate: without it the connection is refused.
  const { TEMPORAL_TLS_CLIENT_CERT_PATH: _cert, TEMPORAL_TLS_CLIENT_KEY_PATH: _key, ...noCertificate } = temporalEnv;
  await assert.rejects(connectClient(noCertificate, { connectTimeout: '2s' }));
});
