/**
 * A real Prometheus (Debian package, /usr/bin/prometheus) scrapes a worker process with our alert rules loaded:
 * the rules load and evaluate on live data, and the model error-rate alert goes pending, then firing.
 *
 * Prometheus loads two rule files: deploy/prometheus/rules/agents.rules.yml as shipped, and a copy whose
 * `for:` durations are cut to 1 s (expressions unchanged) so an alert can fire within the test.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { parse, stringify } from 'yaml';
import { AgentClient } from '../client';
import { startLlmStub, type LlmStub } from '../llm-stub';
import { portForAnotherProcess } from '../testing/dev-server';
import { eventually, startDevEnvironment, uniqueTaskQueue } from '../testing/environment';
import { projectRoot } from '../testing/paths';
import { startWorkerProcess, type WorkerProcess } from '../testing/worker-process';

const prometheusBin = '/usr/bin/prometheus';
const shippedRules = join(projectRoot, 'deploy', 'prometheus', 'rules', 'agents.rules.yml');

let dir: string;
let env: TestWorkflowEnvironment;
let stub: LlmStub;
let worker: WorkerProcess;
let agents: AgentClient;
let prometheus: ChildProcess;
let prometheusLog = '';
let api: string;

interface RuleGroup {
  name: string;
  file: string;
  rules: { name: string; type: string; health: string; lastError?: string; lastEvaluation: string; state?: string }[];
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'prometheus-test-'));
  env = await startDevEnvironment();
  stub = await startLlmStub();
  const taskQueue = uniqueTaskQueue('prom');
  const metricsPort = await portForAnotherProcess();
  worker = await startWorkerProcess({
    TEMPORAL_ADDRESS: env.address,
    AGENT_TASK_QUEUE: taskQueue,
    METRICS_PORT: String(metricsPort),
    METRICS_HOST: '127.0.0.1',
    OPENAI_API_KEY: 'test-key',
    OPENAI_BASE_URL: stub.url,
  });
  agents = new AgentClient(env.client, { taskQueue });

  const fastRules = join(dir, 'agents-fast.rules.yml');
  writeFileSync(fastRules, stringify(withShortFor(parse(readFileSync(shippedRules, 'utf8')))));
  const config = {
    global: { scrape_interval: '1s', evaluation_interval: '1s' },
    rule_files: [shippedRules, fastRules],
    // The job name is what the rules select on.
    scrape_configs: [
      { job_name: 'temporal-agents-worker', static_configs: [{ targets: [`127.0.0.1:${metricsPort}`] }] },
    ],
  };
  writeFileSync(join(dir, 'prometheus.yml'), stringify(config));
  const port = await portForAnotherProcess();
  api = `http://127.0.0.1:${port}`;
  prometheus = spawn(
    prometheusBin,
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  prometheus.stderr!.on('data', (d) => (prometheusLog += d));
  await eventually(async () => (await fetch(`${api}/-/ready`)).ok, `Prometheus ready (log: ${prometheusLog})`);
});

after(async () => {
  if (prometheus && prometheus.exitCode === null && prometheus.signalCode === null) {
    const exited = new Promise((resolve) => prometheus.once('exit', resolve));
    process.kill(prometheus.pid!, 'SIGTERM');
    await exited;
  }
  await worker?.kill('SIGTERM');
  await stub?.close();
  await env?.teardown();
  rmSync(dir, { recursive: true, force: true });
});

/** The shipped rules with every `for:` cut to 1 s; expressions and labels as they are. */
function withShortFor(rules: { groups: { name: string; rules: { for?: string }[] }[] }) {
  for (const group of rules.groups) {
    group.name = `${group.name}-fast`;
    for (const rule of group.rules) if (rule.for) rule.for = '1s';
  }
  return rules;
}

async function query<T>(path: string): Promise<T> {
  const body = (await (await fetch(`${api}${path}`)).json()) as { status: string; data: T; error?: string };
  assert.equal(body.status, 'success', body.error);
  return body.data;
}

async function chatRun(fail: boolean): Promise<void> {
  // A 400 is not retried (ModelRejected): one failed model call, one failed run.
  if (fail) stub.addFaults([{ kind: 'status', status: 400 }]);
  const run = await agents.start({
    template: 'chat',
    input: { message: 'hi' },
    model: 'openai:stub-model',
    user: 'prom',
  });
  if (fail) await assert.rejects(run.result(), (err: Error & { type?: string }) => err.type === 'ModelRejected');
  else assert.equal((await run.result()).status, 'completed');
}

test('Prometheus scrapes the worker, our rules evaluate on live data and the model error-rate alert fires', async () => {
  const targets = await eventually(async () => {
    const data = await query<{ activeTargets: { health: string; labels: { job: string } }[] }>('/api/v1/targets');
    return data.activeTargets.length === 1 && data.activeTargets[0].health === 'up' && data.activeTargets;
  }, 'the worker target up');
  assert.equal(targets[0].labels.job, 'temporal-agents-worker');

  // Counters are born at their first increment; let Prometheus see both series before the traffic it rates.
  await chatRun(false);
  await chatRun(true);
  await eventually(async () => {
    const data = await query<{ result: unknown[] }>(
      `/api/v1/query?query=${encodeURIComponent('agent_model_calls_total{model="openai:stub-model"}')}`,
    );
    return data.result.length === 2;
  }, 'both outcome series of agent_model_calls_total in Prometheus');
  for (let i = 0; i < 8; i++) {
    await chatRun(false);
    await chatRun(true);
  }

  // AgentModelErrorRateHigh: half the calls failed (> 25%), more than 10 calls; the 1 s copy fires.
  const alerts = await eventually(
    async () => {
      const data = await query<{ alerts: { labels: Record<string, string>; state: string }[] }>('/api/v1/alerts');
      const firing = data.alerts.find((a) => a.labels.alertname === 'AgentModelErrorRateHigh' && a.state === 'firing');
      return firing && data.alerts;
    },
    'AgentModelErrorRateHigh firing',
    90_000,
  );
  const modelAlerts = alerts.filter((a) => a.labels.alertname === 'AgentModelErrorRateHigh');
  assert.ok(
    modelAlerts.every((a) => a.labels.model === 'openai:stub-model' && a.labels.severity === 'warning'),
    JSON.stringify(modelAlerts),
  );
  // The shipped rule (for: 10m) holds the same condition as pending.
  assert.deepEqual(modelAlerts.map((a) => a.state).sort(), ['firing', 'pending']);

  // Every rule of both files loaded and evaluated without error.
  const { groups } = await query<{ groups: RuleGroup[] }>('/api/v1/rules');
  const shipped = parse(readFileSync(shippedRules, 'utf8')) as {
    groups: { name: string; rules: { alert: string }[] }[];
  };
  const expected = shipped.groups.flatMap((g) => g.rules.map((r) => r.alert)).sort();
  for (const file of [shippedRules, join(dir, 'agents-fast.rules.yml')]) {
    const rules = groups.filter((g) => g.file === file).flatMap((g) => g.rules);
    assert.deepEqual(rules.map((r) => r.name).sort(), expected, file);
    for (const rule of rules) {
      assert.equal(rule.health, 'ok', `${rule.name}: ${rule.lastError}`);
      assert.ok(
        Date.parse(rule.lastEvaluation) > Date.parse('2000-01-01'),
        `${rule.name} evaluated (${rule.lastEvaluation})`,
      );
    }
  }
  // The run error-rate rule has data too: 9 of 18 runs failed.
  const runErrors = await query<{ result: { value: [number, string] }[] }>(
    `/api/v1/query?query=${encodeURIComponent('sum(increase(agent_runs_total{template="chat",outcome="failed"}[15m]))')}`,
  );
  assert.ok(Number(runErrors.result[0]?.value[1]) > 0, JSON.stringify(runErrors));
  // A worker that answers is not reported down.
  assert.ok(
    !alerts.some((a) => a.labels.alertname === 'AgentWorkerDown' || a.labels.alertname === 'AgentWorkerMissing'),
  );
});
