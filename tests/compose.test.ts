// Deployment config checks: docker-compose.yml, Prometheus rules and their
// unit tests, Grafana provisioning. Needs promtool (apt-get install prometheus).
//   node --import tsx --test tests/compose.test.ts
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import {
  checkAll,
  checkComposeDocument,
  checkGrafana,
  checkMetricContract,
  checkPrometheus,
  formatProblem,
  imagePinProblem,
  interpolate,
  parseComposeYaml,
  parseDuration,
  parsePorts,
  promtoolMissingMessage,
  runPromtool,
  workerMetrics,
  type Problem,
} from '../scripts/check-compose';

const root = path.resolve(__dirname, '..');
const composeFile = path.join(root, 'docker-compose.yml');
const rulesFile = 'deploy/prometheus/rules/agents.rules.yml';
const rulesTestFile = 'deploy/prometheus/rules/agents.rules.test.yml';
const promConfig = 'deploy/prometheus/prometheus.yml';

type Doc = { services: Record<string, Record<string, unknown>>; [k: string]: unknown };
const loadDoc = (): Doc => parseComposeYaml(readFileSync(composeFile, 'utf8')) as Doc;
const lines = (problems: Problem[]) => problems.map(formatProblem);

/** Problems for a mutated copy of the real compose document. */
function problemsAfter(mutate: (doc: Doc) => void): string[] {
  const doc = loadDoc();
  mutate(doc);
  return lines(checkComposeDocument(doc, { root }));
}

function assertReported(problems: string[], pattern: RegExp): void {
  assert.ok(
    problems.some((p) => pattern.test(p)),
    `expected a problem matching ${pattern}, got:\n${problems.join('\n') || '(none)'}`,
  );
}

function promtool(args: string[], cwd = root) {
  const r = runPromtool(args, cwd);
  if (r.missing) assert.fail(promtoolMissingMessage);
  return r;
}

const tmpDirs: string[] = [];
/** A scratch copy of the compose file and deploy/ to break on purpose. */
function scratchRepo(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'compose-test-'));
  tmpDirs.push(dir);
  cpSync(composeFile, path.join(dir, 'docker-compose.yml'));
  cpSync(path.join(root, 'deploy'), path.join(dir, 'deploy'), { recursive: true });
  cpSync(path.join(root, 'Dockerfile'), path.join(dir, 'Dockerfile'));
  return dir;
}
after(() => {
  for (const d of tmpDirs) rmSync(d, { recursive: true, force: true });
});

describe('docker-compose.yml', () => {
  test('passes every structural check', () => {
    assert.deepEqual(lines(checkComposeDocument(loadDoc(), { root })), []);
  });

  test('has the services of the stack', () => {
    const names = Object.keys(loadDoc().services);
    for (const s of ['postgresql', 'temporal', 'temporal-ui', 'temporal-admin-tools', 'worker', 'prometheus', 'grafana']) {
      assert.ok(names.includes(s), `missing service ${s}`);
    }
  });

  test('worker reaches Temporal inside the stack and waits for it', () => {
    const worker = loadDoc().services.worker;
    assert.equal((worker.environment as Record<string, unknown>).TEMPORAL_ADDRESS, 'temporal:7233');
    assert.equal((worker.depends_on as Record<string, { condition: string }>).temporal.condition, 'service_healthy');
  });

  test('Prometheus config, rule files and alert unit tests line up', () => {
    const { problems, files } = checkPrometheus(loadDoc(), { root });
    assert.deepEqual(lines(problems), []);
    assert.deepEqual(files.ruleFiles.map((f) => path.relative(root, f)), [rulesFile]);
    assert.deepEqual(files.testFiles.map((f) => path.relative(root, f)), [rulesTestFile]);
  });

  test('Grafana provisioning and dashboard are consistent', () => {
    const { problems, dashboards } = checkGrafana(loadDoc(), { root });
    assert.deepEqual(lines(problems), []);
    assert.deepEqual(dashboards.map((d) => path.relative(root, d.file)), ['deploy/grafana/dashboards/agents.json']);
  });

  test('rules and dashboard use exactly the worker metrics', () => {
    const { files } = checkPrometheus(loadDoc(), { root });
    const { dashboards } = checkGrafana(loadDoc(), { root });
    assert.deepEqual(lines(checkMetricContract(files.ruleFiles, dashboards, root)), []);
    assert.ok(workerMetrics.length >= 8);
  });
});

describe('broken compose documents are reported', () => {
  test('floating or missing image tags', () => {
    assertReported(problemsAfter((d) => (d.services.postgresql.image = 'postgres:latest')), /services\.postgresql\.image: .*floating tag "latest"/);
    assertReported(problemsAfter((d) => (d.services.grafana.image = 'grafana/grafana')), /services\.grafana\.image: .*has no tag/);
  });

  test('service with neither image nor build', () => {
    assertReported(problemsAfter((d) => delete d.services.prometheus.image), /services\.prometheus: has neither image nor build/);
  });

  test('bind mount of a file that is not in the repo', () => {
    const problems = problemsAfter((d) => {
      (d.services.prometheus.volumes as string[])[0] = './deploy/prometheus/missing.yml:/etc/prometheus/prometheus.yml:ro';
    });
    assertReported(problems, /services\.prometheus\.volumes\[0\]: bind source \.\/deploy\/prometheus\/missing\.yml does not exist/);
  });

  test('bind mount from outside the repo', () => {
    const problems = problemsAfter((d) => (d.services.grafana.volumes as string[]).push('../elsewhere:/data'));
    assertReported(problems, /bind source \.\.\/elsewhere is outside the repo/);
  });

  test('undeclared named volume', () => {
    assertReported(
      problemsAfter((d) => ((d.services.postgresql.volumes as string[])[0] = 'pgdata:/var/lib/postgresql/data')),
      /named volume "pgdata" is not declared/,
    );
  });

  test('depends_on an unknown service, a dependency cycle, healthy without healthcheck', () => {
    assertReported(
      problemsAfter((d) => ((d.services.worker.depends_on as Record<string, unknown>).redis = { condition: 'service_started' })),
      /services\.worker\.depends_on\.redis: depends on unknown service "redis"/,
    );
    assertReported(
      problemsAfter((d) => (d.services.postgresql.depends_on = { worker: { condition: 'service_started' } })),
      /dependency cycle: .*postgresql/,
    );
    assertReported(problemsAfter((d) => delete d.services.temporal.healthcheck), /waits for "temporal" to be healthy but it has no healthcheck/);
  });

  test('two services publishing the same host port', () => {
    const problems = problemsAfter((d) => (d.services.grafana.ports = ['8080:3000']));
    assertReported(problems, /host port 8080\/tcp is also published by services\.temporal-ui\.ports\[0\]/);
  });

  test('missing restart policy and healthcheck', () => {
    assertReported(problemsAfter((d) => delete d.services.grafana.restart), /services\.grafana\.restart: no restart policy/);
    assertReported(problemsAfter((d) => delete d.services.grafana.healthcheck), /services\.grafana\.healthcheck: long-running service has no healthcheck/);
  });

  test('worker environment', () => {
    const env = (d: Doc) => d.services.worker.environment as Record<string, unknown>;
    assertReported(problemsAfter((d) => delete env(d).TEMPORAL_ADDRESS), /services\.worker\.environment: TEMPORAL_ADDRESS is not set/);
    assertReported(problemsAfter((d) => (env(d).AGENT_TASK_QUEUE = '')), /AGENT_TASK_QUEUE is empty/);
    assertReported(problemsAfter((d) => delete env(d).ANTHROPIC_API_KEY), /ANTHROPIC_API_KEY is not declared/);
    assertReported(problemsAfter((d) => (env(d).TEMPORAL_ADDRESS = 'temporal-frontend:7233')), /host "temporal-frontend" is not a service/);
    assertReported(problemsAfter((d) => (env(d).METRICS_PORT = '9999')), /worker healthcheck does not use METRICS_PORT 9999/);
    assertReported(
      problemsAfter((d) => (env(d).AGENT_SHUTDOWN_GRACE_SECONDS = '90')),
      /services\.worker\.stop_grace_period: 60s is not longer than AGENT_SHUTDOWN_GRACE_SECONDS=90/,
    );
  });

  test('variables without a default', () => {
    assertReported(problemsAfter((d) => (d.services.grafana.ports = ['${GRAFANA_PORT}:3000'])), /variable GRAFANA_PORT is not set and has no default/);
  });

  test('Prometheus scraping the wrong port, rules not mounted where the config expects them', () => {
    const portDoc = loadDoc();
    (portDoc.services.worker.environment as Record<string, unknown>).METRICS_PORT = '9999';
    assertReported(lines(checkPrometheus(portDoc, { root }).problems), /target worker:9464 does not use the worker's METRICS_PORT 9999/);

    const rulesDoc = loadDoc();
    rulesDoc.services.prometheus.volumes = (rulesDoc.services.prometheus.volumes as string[]).map((v) =>
      v.replace(':/etc/prometheus/rules:', ':/etc/prometheus/alerts:'),
    );
    assertReported(lines(checkPrometheus(rulesDoc, { root }).problems), /rule_files\[0\]: .*is not under any bind mount/);
  });

  test('an alert without a firing unit test', () => {
    const dir = scratchRepo();
    const testPath = path.join(dir, rulesTestFile);
    // Drop every AgentQuotaExhausted case that expects the alert to fire.
    const doc = parseComposeYaml(readFileSync(testPath, 'utf8')) as { tests: { alert_rule_test: { alertname: string; exp_alerts: unknown[] }[] }[] };
    for (const t of doc.tests) t.alert_rule_test = t.alert_rule_test.filter((a) => !(a.alertname === 'AgentQuotaExhausted' && a.exp_alerts.length));
    writeFileSync(testPath, JSON.stringify(doc));
    const problems = lines(checkPrometheus(loadDoc(), { root: dir }).problems);
    assertReported(problems, /agents\.rules\.yml: AgentQuotaExhausted: no unit test where this alert fires/);
  });

  test('a dashboard query on a metric the worker does not export', () => {
    const { files } = checkPrometheus(loadDoc(), { root });
    const { dashboards } = checkGrafana(loadDoc(), { root });
    const json = structuredClone(dashboards[0].json) as { panels: { targets?: { expr: string }[] }[] };
    json.panels.find((p) => p.targets)!.targets![0].expr = 'sum(agent_runs_stuck_total)';
    const problems = lines(checkMetricContract(files.ruleFiles, [{ file: dashboards[0].file, json }], root));
    assertReported(problems, /unknown worker metric agent_runs_stuck_total/);
  });
});

describe('parsing helpers', () => {
  test('port mappings', () => {
    assert.deepEqual(parsePorts('127.0.0.1:8080:8080')?.map((p) => [p.hostIp, p.hostPort, p.protocol]), [['127.0.0.1', 8080, 'tcp']]);
    assert.deepEqual(parsePorts('9090:9090/udp')?.map((p) => [p.hostIp, p.hostPort, p.protocol]), [['', 9090, 'udp']]);
    assert.deepEqual(parsePorts('[::1]:7233:7233')?.map((p) => [p.hostIp, p.hostPort]), [['::1', 7233]]);
    assert.deepEqual(parsePorts('8000-8002:8000-8002')?.map((p) => p.hostPort), [8000, 8001, 8002]);
    assert.deepEqual(parsePorts('9464'), []);
    assert.deepEqual(parsePorts({ target: 80, published: '8081', host_ip: '0.0.0.0' })?.map((p) => p.hostPort), [8081]);
    assert.equal(parsePorts('http:80'), undefined);
  });

  test('durations', () => {
    assert.equal(parseDuration('60s'), 60);
    assert.equal(parseDuration('1m30s'), 90);
    assert.equal(parseDuration('1h'), 3600);
    assert.equal(parseDuration('500ms'), 0.5);
    assert.equal(parseDuration('soon'), undefined);
  });

  test('image pins', () => {
    assert.equal(imagePinProblem('postgres:16.10'), undefined);
    assert.equal(imagePinProblem('localhost:5000/team/app:1.2.3'), undefined);
    assert.equal(imagePinProblem(`postgres@sha256:${'a'.repeat(64)}`), undefined);
    assert.match(imagePinProblem('localhost:5000/team/app') ?? '', /has no tag/);
    assert.match(imagePinProblem('prom/prometheus:latest') ?? '', /floating tag/);
  });

  test('interpolation follows compose rules', () => {
    const problems: string[] = [];
    const env = { SET: 'x', EMPTY: '' };
    const i = (s: string) => interpolate(s, env, (m) => problems.push(m));
    assert.equal(i('${SET:-d}/${EMPTY:-d}/${EMPTY-d}/${UNSET:-d}'), 'x/d//d');
    assert.equal(i('$$HOME ${SET:+alt} ${UNSET:+alt}|'), '$HOME alt |');
    assert.equal(i('${UNSET:-${SET}}'), 'x');
    assert.deepEqual(problems, []);
    i('${NOPE}');
    i('${REQ:?set REQ}');
    assert.deepEqual(problems, ['variable NOPE is not set and has no default (would be blank)', 'variable REQ is required (set REQ) and not set']);
  });
});

describe('promtool', () => {
  test('check config', () => {
    const r = promtool(['check', 'config', promConfig]);
    assert.ok(r.ok, r.output);
    assert.match(r.output, /1 rule files found/);
  });

  test('check rules', () => {
    const r = promtool(['check', 'rules', rulesFile]);
    assert.ok(r.ok, r.output);
    assert.match(r.output, /SUCCESS: \d+ rules found/);
  });

  test('test rules: every alert fires and stays quiet where expected', () => {
    const r = promtool(['test', 'rules', rulesTestFile]);
    assert.ok(r.ok, r.output);
    assert.match(r.output, /SUCCESS/);
  });

  test('test rules fails when an alert threshold changes', () => {
    const dir = scratchRepo();
    const rules = path.join(dir, rulesFile);
    writeFileSync(rules, readFileSync(rules, 'utf8').replace('> 4 * 3600', '> 8 * 3600'));
    const r = promtool(['test', 'rules', rulesTestFile], dir);
    assert.equal(r.ok, false, r.output);
    assert.match(r.output, /FAILED[\s\S]*AgentRunPausedTooLong/);
  });
});

describe('scripts/check-compose.ts CLI', () => {
  const cli = (composePath: string) =>
    spawnSync(process.execPath, ['--import', 'tsx', path.join(root, 'scripts/check-compose.ts'), composePath], {
      cwd: root,
      encoding: 'utf8',
    });

  test('passes on the repo', () => {
    const r = cli(composeFile);
    assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
    assert.match(r.stdout, /check-compose: OK/);
  });

  test('exits 1 with one line per problem on a broken stack', () => {
    const dir = scratchRepo();
    const broken = readFileSync(path.join(dir, 'docker-compose.yml'), 'utf8')
      .replace('image: postgres:16.10', 'image: postgres')
      .replace('"${BIND_ADDR:-127.0.0.1}:3000:3000"', '"${BIND_ADDR:-127.0.0.1}:9090:3000"');
    writeFileSync(path.join(dir, 'docker-compose.yml'), broken);
    rmSync(path.join(dir, 'deploy/grafana/dashboards'), { recursive: true });
    const r = cli(path.join(dir, 'docker-compose.yml'));
    assert.equal(r.status, 1, `${r.stdout}${r.stderr}`);
    const out = r.stderr.split('\n');
    assert.ok(out.includes('docker-compose.yml: services.postgresql.image: image "postgres" has no tag (that means :latest); pin a version'), r.stderr);
    assert.ok(out.some((l) => /^docker-compose\.yml: services\.grafana\.ports\[0\]: host port 9090\/tcp is also published/.test(l)), r.stderr);
    assert.ok(out.some((l) => /^docker-compose\.yml: services\.grafana\.volumes\[1\]: bind source .* does not exist$/.test(l)), r.stderr);
    assert.match(r.stderr, /check-compose: \d+ problem\(s\)/);
  });

  test('fails with a clear message when promtool is not installed', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(root, 'scripts/check-compose.ts')], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, PATH: '/nonexistent' },
    });
    assert.equal(r.status, 1, `${r.stdout}${r.stderr}`);
    assert.ok(r.stderr.split('\n').includes(`promtool: ${promtoolMissingMessage}`), r.stderr);
  });

  test('checkAll reports an unparseable compose file', () => {
    const dir = scratchRepo();
    writeFileSync(path.join(dir, 'docker-compose.yml'), 'services:\n  worker: [unclosed\n');
    const { problems } = checkAll(path.join(dir, 'docker-compose.yml'), { promtool: false });
    assertReported(lines(problems), /^docker-compose\.yml: cannot read\/parse/);
  });
});
