/**
 * docker-compose.yml and scripts/cluster.sh describe the same stack (scripts/cluster/drift.ts): the real files
 * agree, and each kind of drift, made on a copy, is reported.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { before, test } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { checkDrift, loadCompose, readClusterFacts, type ClusterFacts } from '../scripts/cluster/drift';

type Obj = Record<string, any>;
const root = path.resolve(__dirname, '..');
let facts: ClusterFacts;
const prometheusYml = (): Obj => parseYaml(readFileSync(path.join(root, 'deploy/prometheus/prometheus.yml'), 'utf8'));

before(() => {
  facts = readClusterFacts(root);
});

/** Problems after changing copies of the compose file, the script's facts and deploy/prometheus/prometheus.yml. */
function driftAfter(change: (compose: Obj, facts: ClusterFacts, prometheus: Obj) => void): string[] {
  const compose = loadCompose(root);
  const copy = structuredClone(facts);
  const prometheus = prometheusYml();
  change(compose, copy, prometheus);
  return checkDrift(compose, copy, prometheus);
}

function assertReported(problems: string[], pattern: RegExp): void {
  assert.ok(
    problems.some((p) => pattern.test(p)),
    `expected a problem matching ${pattern}, got:\n${problems.join('\n') || '(none)'}`,
  );
}

test('the compose file and the script agree', () => {
  assert.deepEqual(checkDrift(loadCompose(root), facts, prometheusYml()), []);
  assert.deepEqual(facts.services, [
    'postgres',
    'history',
    'matching',
    'frontend',
    'worker',
    'ui',
    'agent-worker-1',
    'agent-worker-2',
    'prometheus',
  ]);
});

test('a Temporal or UI version changed on one side is reported', () => {
  assertReported(
    driftAfter((c) => (c.services.temporal.image = 'temporalio/server:1.32.0')),
    /^temporal: compose runs 1\.32\.0, scripts\/cluster\.sh 1\.31\.0/,
  );
  assertReported(
    driftAfter((c) => (c.services['temporal-schema'].image = 'temporalio/admin-tools:1.30.0')),
    /^temporal-schema: compose runs 1\.30\.0/,
  );
  assertReported(
    driftAfter((_c, f) => (f.versions.UI_SERVER_VERSION = '2.50.0')),
    /^temporal-ui: compose runs 2\.49\.1, scripts\/cluster\.sh 2\.50\.0/,
  );
});

test('a database or Prometheus version other than the declared difference is reported', () => {
  assertReported(
    driftAfter((c) => (c.services.postgresql.image = 'postgres:17.2')),
    /^postgresql: compose runs 17\.2, scripts\/cluster\.sh 15 \(declared: 16\.10 vs 15\)/,
  );
  assertReported(
    driftAfter((_c, f) => (f.versions.PROMETHEUS_VERSION = '2.53.0')),
    /^prometheus: compose runs v3\.5\.0, scripts\/cluster\.sh 2\.53\.0/,
  );
});

test('a service on one side only is reported', () => {
  assertReported(
    driftAfter((c) => (c.services.redis = { image: 'redis:7.4.0' })),
    /compose service redis has no counterpart/,
  );
  assertReported(
    driftAfter((_c, f) => f.services.push('agent-worker-3')),
    /script services \[.*agent-worker-3.*\] are not compose's/,
  );
  assertReported(
    driftAfter((_c, f) => (f.scriptText = f.scriptText.replace('migrate_schemas()', 'migrate()'))),
    /no step migrate_schemas/,
  );
});

test('worker and UI environment drift is reported', () => {
  assertReported(
    driftAfter((c) => (c.services.worker.environment.AGENT_LOG_LEVEL = 'WARN')),
    /^worker: compose sets AGENT_LOG_LEVEL, scripts\/cluster\.sh does not/,
  );
  assertReported(
    driftAfter((c) => (c.services.worker.environment.AGENT_SHUTDOWN_GRACE_SECONDS = '30')),
    /^worker: AGENT_SHUTDOWN_GRACE_SECONDS is 30 in compose, 45/,
  );
  assertReported(
    driftAfter((_c, f) => (f.env['agent-worker-1'].OPENAI_API_KEY = 'x')),
    /compose passes OPENAI_API_KEY through from the shell, scripts\/cluster\.sh sets it/,
  );
  assertReported(
    driftAfter((_c, f) => (f.env.ui.TEMPORAL_CSRF_COOKIE_INSECURE = 'true')),
    /^temporal-ui: scripts\/cluster\.sh sets TEMPORAL_CSRF_COOKIE_INSECURE, compose does not/,
  );
});

test('Temporal server settings and compose defaults drift are reported', () => {
  assertReported(
    driftAfter((c) => (c.services.temporal.environment.NUM_HISTORY_SHARDS = '${TEMPORAL_NUM_HISTORY_SHARDS:-1024}')),
    /NUM_HISTORY_SHARDS: compose 1024, script 512/,
  );
  assertReported(
    driftAfter((c) => (c.services.temporal.environment.SQL_MAX_CONNS = '50')),
    /^temporal: SQL_MAX_CONNS: not mapped/,
  );
  assertReported(
    driftAfter((_c, f) => ((f.temporalConfig as Obj).dynamicConfigClient.filepath = '/x/development-sql.yaml')),
    /DYNAMIC_CONFIG_FILE_PATH: compose production-sql\.yaml, script development-sql\.yaml/,
  );
  assertReported(
    driftAfter(
      (c) =>
        (c.services['temporal-create-namespace'].environment.NAMESPACE_RETENTION =
          '${TEMPORAL_NAMESPACE_RETENTION:-72h}'),
    ),
    /TEMPORAL_NAMESPACE_RETENTION: default 72h in compose, 168h/,
  );
});

test('Prometheus jobs or interval drift is reported', () => {
  assertReported(
    driftAfter((_c, _f, p) => (p.scrape_configs[0].job_name = 'agents')),
    /^Prometheus jobs: /,
  );
  assertReported(
    driftAfter((_c, _f, p) => (p.global.scrape_interval = '30s')),
    /^Prometheus global\.scrape_interval: "30s" in deploy\/, "15s"/,
  );
});
