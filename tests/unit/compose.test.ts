// Deployment config checks (scripts/compose-check): docker-compose.yml against the Compose schema and our wiring,
// Prometheus rules and their unit tests, Grafana provisioning. Needs promtool (apt-get install prometheus).
//   node --import tsx --test tests/unit/compose.test.ts
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import {
  checkAll,
  checkGrafana,
  checkMetricNames,
  checkPrometheus,
  checkStack,
  composeFileOf,
  formatProblem,
  parseYamlText,
  promtoolMissingMessage,
  runPromtool,
  withDefaults,
  workerMetricNames,
  type Problem,
} from '../../scripts/compose-check';

const root = path.resolve(__dirname, '../..');
const composeFile = path.join(root, 'docker-compose.yml');
const rulesFile = 'deploy/prometheus/rules/agents.rules.yml';
const rulesTestFile = 'deploy/prometheus/rules/agents.rules.test.yml';
const promConfig = 'deploy/prometheus/prometheus.yml';

type Doc = { services: Record<string, Record<string, unknown>>; [k: string]: unknown };
const loadDoc = (): Doc => parseYamlText(readFileSync(composeFile, 'utf8')) as Doc;
const lines = (problems: Problem[]) => problems.map(formatProblem);

/** Schema and stack problems of a (possibly mutated) copy of the real compose document. */
function stackProblems(mutate: (doc: Doc) => void = () => {}, dir = root): string[] {
  const doc = loadDoc();
  mutate(doc);
  const problems: Problem[] = [];
  const compose = composeFileOf(doc, dir, problems);
  return lines([...problems, ...checkStack(compose)]);
}
const prometheusProblems = (mutate: (doc: Doc) => void = () => {}, dir = root) => {
  const doc = loadDoc();
  mutate(doc);
  return checkPrometheus(composeFileOf(doc, dir, []));
};
const grafanaOf = (mutate: (doc: Doc) => void = () => {}, dir = root) => {
  const doc = loadDoc();
  mutate(doc);
  return checkGrafana(composeFileOf(doc, dir, []));
};

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
  return dir;
}
after(() => {
  for (const d of tmpDirs) rmSync(d, { recursive: true, force: true });
});

describe('docker-compose.yml as shipped', () => {
  test('follows the Compose schema and wires the stack', () => {
    assert.deepEqual(stackProblems(), []);
  });

  test('Prometheus config, rule files and alert unit tests line up', () => {
    const { problems, files } = prometheusProblems();
    assert.deepEqual(lines(problems), []);
    assert.deepEqual(
      files.ruleFiles.map((f) => path.relative(root, f)),
      [rulesFile],
    );
    assert.deepEqual(
      files.testFiles.map((f) => path.relative(root, f)),
      [rulesTestFile],
    );
  });

  test('Grafana provisioning and dashboard are consistent', () => {
    const { problems, dashboards } = grafanaOf();
    assert.deepEqual(lines(problems), []);
    assert.deepEqual(
      dashboards.map((d) => path.relative(root, d.file)),
      ['deploy/grafana/dashboards/agents.json'],
    );
  });

  test('rules and dashboard use only metrics the worker registers', () => {
    const { files } = prometheusProblems();
    const { dashboards } = grafanaOf();
    assert.deepEqual(lines(checkMetricNames(files.ruleFiles, dashboards, root)), []);
  });
});

describe('the Compose schema', () => {
  test('reports an unknown service key and a wrongly typed value', () => {
    const problems = stackProblems((d) => {
      d.services.grafana.restartt = 'always';
      d.services.worker.depends_on = { temporal: { condition: 'service_up' } };
    });
    assertReported(problems, /services\.grafana: must NOT have additional properties/);
    assertReported(
      problems,
      /services\.worker\.depends_on\.temporal\.condition: must be equal to one of the allowed values/,
    );
  });
});

describe('stack wiring problems are reported', () => {
  test('a missing service', () => {
    assertReported(
      stackProblems((d) => delete d.services['temporal-ui']),
      /services: no "temporal-ui" service/,
    );
  });

  test('worker environment', () => {
    const env = (d: Doc) => d.services.worker.environment as Record<string, unknown>;
    assertReported(
      stackProblems((d) => delete env(d).TEMPORAL_ADDRESS),
      /services\.worker\.environment: TEMPORAL_ADDRESS is not set/,
    );
    assertReported(
      stackProblems((d) => (env(d).AGENT_TASK_QUEUE = '${AGENT_TASK_QUEUE:-}')),
      /AGENT_TASK_QUEUE is empty/,
    );
    assertReported(
      stackProblems((d) => delete env(d).ANTHROPIC_API_KEY),
      /ANTHROPIC_API_KEY is not declared/,
    );
    assertReported(
      stackProblems((d) => (env(d).TEMPORAL_ADDRESS = 'temporal-frontend:7233')),
      /host "temporal-frontend" is not a service/,
    );
    assertReported(
      stackProblems((d) => delete (d.services.worker.depends_on as Record<string, unknown>).temporal),
      /worker talks to "temporal" \(TEMPORAL_ADDRESS\) but does not depend on it/,
    );
  });

  test('metrics port: exposed and used by the healthcheck', () => {
    const env = (d: Doc) => d.services.worker.environment as Record<string, unknown>;
    const problems = stackProblems((d) => (env(d).METRICS_PORT = '9999'));
    assertReported(problems, /services\.worker\.expose: METRICS_PORT 9999 is not exposed/);
    assertReported(
      problems,
      /services\.worker\.healthcheck: worker healthcheck does not call \/healthz on METRICS_PORT 9999/,
    );
  });

  test('stop grace period shorter than the worker drain time', () => {
    const env = (d: Doc) => d.services.worker.environment as Record<string, unknown>;
    assertReported(
      stackProblems((d) => (env(d).AGENT_SHUTDOWN_GRACE_SECONDS = '90')),
      /services\.worker\.stop_grace_period: 60s is not longer than AGENT_SHUTDOWN_GRACE_SECONDS=90/,
    );
    assert.deepEqual(
      stackProblems((d) => (d.services.worker.stop_grace_period = '1m30s')),
      [],
    );
  });

  test('defaults of ${VAR:-default} are what the checks see', () => {
    assert.equal(withDefaults('${A:-x}/${B-y}/${C}/$D/$$E/${F:+z}'), 'x/y///$E/');
  });
});

describe('Prometheus wiring problems are reported', () => {
  test('scraping a port that is not the worker METRICS_PORT', () => {
    const { problems } = prometheusProblems(
      (d) => ((d.services.worker.environment as Record<string, unknown>).METRICS_PORT = '9999'),
    );
    assertReported(lines(problems), /target worker:9464 does not use the worker's METRICS_PORT 9999/);
  });

  test('rules not mounted where the config expects them', () => {
    const { problems } = prometheusProblems((d) => {
      d.services.prometheus.volumes = (d.services.prometheus.volumes as string[]).map((v) =>
        v.replace(':/etc/prometheus/rules:', ':/etc/prometheus/alerts:'),
      );
    });
    assertReported(lines(problems), /rule_files\[0\]: .*is not under any bind mount/);
  });

  test('config not mounted', () => {
    const { problems } = prometheusProblems((d) => (d.services.prometheus.volumes = ['prometheus-data:/prometheus']));
    assertReported(
      lines(problems),
      /services\.prometheus\.volumes: \/etc\/prometheus\/prometheus\.yml is not bind-mounted/,
    );
  });

  test('an alert without a firing unit test', () => {
    const dir = scratchRepo();
    const testPath = path.join(dir, rulesTestFile);
    const doc = parseYamlText(readFileSync(testPath, 'utf8')) as {
      tests: { alert_rule_test: { alertname: string; exp_alerts: unknown[] }[] }[];
    };
    for (const t of doc.tests)
      t.alert_rule_test = t.alert_rule_test.filter(
        (a) => !(a.alertname === 'AgentQuotaExhausted' && a.exp_alerts.length),
      );
    writeFileSync(testPath, JSON.stringify(doc));
    assertReported(
      lines(prometheusProblems(undefined, dir).problems),
      /agents\.rules\.yml: AgentQuotaExhausted: no unit test where this alert fires/,
    );
  });
});

describe('Grafana and metric-name problems are reported', () => {
  test('a datasource pointing at no service', () => {
    const dir = scratchRepo();
    const ds = path.join(dir, 'deploy/grafana/provisioning/datasources/prometheus.yml');
    writeFileSync(ds, readFileSync(ds, 'utf8').replace('http://prometheus:9090', 'http://prom:9090'));
    assertReported(lines(grafanaOf(undefined, dir).problems), /datasource URL host "prom" is not a service/);
  });

  test('dashboards not mounted', () => {
    const { problems } = grafanaOf((d) => {
      d.services.grafana.volumes = (d.services.grafana.volumes as string[]).filter(
        (v) => !v.includes('/etc/grafana/dashboards'),
      );
    });
    assertReported(lines(problems), /dashboard path \/etc\/grafana\/dashboards is not mounted from the repo/);
  });

  test('the worker metric names come from the worker registry', () => {
    const names = workerMetricNames();
    for (const n of ['agent_runs_total', 'agent_model_call_duration_seconds', 'agent_runs_paused'])
      assert.ok(names.includes(n), n);
    assert.ok(
      names.every((n) => /^agent_[a-z0-9_]+$/.test(n)),
      names.join(','),
    );
  });

  test('a dashboard query or rule on a metric the worker does not export', () => {
    const { files } = prometheusProblems();
    const { dashboards } = grafanaOf();
    const json = structuredClone(dashboards[0].json) as { panels: { targets?: { expr: string }[] }[] };
    json.panels.find((p) => p.targets)!.targets![0].expr = 'sum(agent_runs_stuck_total)';
    const problems = lines(checkMetricNames(files.ruleFiles, [{ file: dashboards[0].file, json }], root));
    assertReported(problems, /agents\.json: unknown worker metric agent_runs_stuck_total/);
    // A metric removed from the worker is reported where the rules still use it.
    const known = workerMetricNames().filter((n) => n !== 'agent_quota_rejections_total');
    assertReported(
      lines(checkMetricNames(files.ruleFiles, [], root, known)),
      /agents\.rules\.yml: unknown worker metric agent_quota_rejections_total/,
    );
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
  const cli = (composePath?: string, env: NodeJS.ProcessEnv = process.env) =>
    spawnSync(
      process.execPath,
      ['--import', 'tsx', path.join(root, 'scripts/check-compose.ts'), ...(composePath ? [composePath] : [])],
      {
        cwd: root,
        encoding: 'utf8',
        env,
      },
    );

  test('passes on the repo', () => {
    const r = cli(composeFile);
    assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
    assert.match(r.stdout, /check-compose: OK/);
  });

  test('exits 1 with one line per problem on a broken stack', () => {
    const dir = scratchRepo();
    const broken = readFileSync(path.join(dir, 'docker-compose.yml'), 'utf8')
      .replace('METRICS_PORT: "9464"', 'METRICS_PORT: "9999"')
      .replace('init: true', 'initt: true');
    writeFileSync(path.join(dir, 'docker-compose.yml'), broken);
    rmSync(path.join(dir, 'deploy/grafana/dashboards'), { recursive: true });
    const r = cli(path.join(dir, 'docker-compose.yml'));
    assert.equal(r.status, 1, `${r.stdout}${r.stderr}`);
    const out = r.stderr.split('\n');
    assert.ok(
      out.some((l) => /^docker-compose\.yml: services\.worker: must NOT have additional properties/.test(l)),
      r.stderr,
    );
    assert.ok(
      out.includes(
        "deploy/prometheus/prometheus.yml: temporal-agents-worker: target worker:9464 does not use the worker's METRICS_PORT 9999",
      ),
      r.stderr,
    );
    assert.ok(
      out.some((l) => /dashboard path \/etc\/grafana\/dashboards is not mounted from the repo$/.test(l)),
      r.stderr,
    );
    assert.match(r.stderr, /check-compose: \d+ problem\(s\)/);
  });

  test('fails with a clear message when promtool is not installed', () => {
    const r = cli(undefined, { ...process.env, PATH: '/nonexistent' });
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
