/**
 * The production stack for real (scripts/cluster.sh): PostgreSQL, Temporal's four services as separate
 * processes, the UI, two agent workers and Prometheus. Runs are in flight (react template, tool calls, the LLM
 * stub holding each model call) while, one at a time, history, matching, frontend, PostgreSQL and one agent
 * worker are SIGKILLed and started again. Every run completes, no finished model call is made again beyond what
 * the crash matrix allows, the usage ledgers are exact, `agentctl ls` and the search attributes work, and the
 * AgentWorkerDown alert fires on the killed worker and clears when it is back.
 *
 * The first run on a machine builds the Temporal server and UI server with `go install` (minutes); later runs
 * reuse them. scripts/test.sh starts that build in the background before the suite, and this file's name sorts
 * last so the build is done by the time it runs. Prometheus uses a copy of our rules with `for: 5s` and a 2 s scrape interval.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import type { PolicyInput } from '../activities/middleware/policy';
import { AgentClient, type AgentRunHandle } from '../client';
import { startLlmStub, type LlmStub } from '../llm-stub';
import { freshWorkflowBundle } from '../testing/bundle';
import { cluster, freePortBase, prometheusAlerts, run, shortForRules } from './helpers/cluster';
import { eventually } from '../testing/environment';
import { projectRoot } from '../testing/paths';
import { checkRepeats, recordedModelCalls } from './helpers/repeated-calls';

/** A quota far above what the runs spend: every model call reserves and commits in its user's ledger. */
const policy: PolicyInput = {
  roles: { metered: { quota: { usd: 1000, period: 'day', expectedOutputTokens: 64 } } },
  defaultRoles: ['metered'],
  pricing: { 'openai:stub-model': { input: 2, output: 8 } },
};
const users = ['cluster-u0', 'cluster-u1', 'cluster-u2'];
const dataDir = join(projectRoot, '.data', `cluster-test-${randomUUID().slice(0, 8)}`);

let stub: LlmStub;
let env: Record<string, string>;
let address: string;
let prometheusUrl: string;
let connection: Connection | undefined;
let client: Client;
let agents: AgentClient;

before(async () => {
  stub = await startLlmStub({ port: 0 });
  mkdirSync(dataDir, { recursive: true });
  env = {
    CLUSTER_DATA_DIR: dataDir,
    CLUSTER_PORT_BASE: String(await freePortBase()),
    CLUSTER_SCRAPE_INTERVAL: '2s',
    CLUSTER_PROMETHEUS_RULES: shortForRules(dataDir, '5s'),
    OPENAI_BASE_URL: stub.url,
    OPENAI_API_KEY: 'sk-test',
    AGENT_POLICY: JSON.stringify(policy),
    WORKFLOW_BUNDLE: await freshWorkflowBundle(),
  };
  // The first run on a machine builds the servers: allow for it.
  const up = await cluster(['up'], env, 40 * 60_000);
  console.log(`cluster up in ${up.seconds.toFixed(0)} s`);
  const line = (key: string) => new RegExp(`^${key}=(.+)$`, 'm').exec(up.stdout)?.[1];
  address = line('TEMPORAL_ADDRESS')!;
  prometheusUrl = line('PROMETHEUS_URL')!;
  assert.ok(address && prometheusUrl && line('TEMPORAL_UI_URL'), `up printed:\n${up.stdout}`);
  connection = await Connection.connect({ address });
  client = new Client({ connection });
  agents = new AgentClient(client, { taskQueue: 'agents' });
});

after(async () => {
  await connection?.close();
  // Normally the last test has stopped it all; this is for a run that failed before.
  if (existsSync(join(dataDir, 'pids')) && readdirSync(join(dataDir, 'pids')).length)
    await cluster(['down'], env).catch((err) => console.error(err));
  await stub.close();
  rmSync(dataDir, { recursive: true, force: true });
});

/** State and process group of a process, from /proc (the command name may hold spaces). */
function procStat(pid: string): { state: string; pgrp: string } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state, pgrp };
  } catch {
    return undefined;
  }
}

/** `status` as { service: [pid, health] }. */
async function status(): Promise<Record<string, [string, string]>> {
  const { stdout } = await run('bash', [join(projectRoot, 'scripts', 'cluster.sh'), 'status'], env, 120_000, true);
  return Object.fromEntries(
    stdout
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.split(/\s+/))
      .map(([s, pid, health]) => [s, [pid, health]]),
  );
}

test('up is idempotent; status shows every service healthy in a process group of its own', async () => {
  const first = await status();
  // The services the script runs (tests/cluster-drift.test.ts holds them to the compose file), in start order.
  const services = (await cluster(['services'], env)).stdout.trim().split(/\s+/);
  assert.equal(services.length, 9);
  assert.deepEqual(Object.keys(first), services);
  for (const [service, [pid, health]] of Object.entries(first)) {
    assert.equal(health, 'healthy', service);
    assert.equal(procStat(pid)?.pgrp, pid, `${service} leads its process group`);
  }
  const again = await cluster(['up'], env);
  assert.match(again.stdout, new RegExp(`^TEMPORAL_ADDRESS=${address}$`, 'm'));
  assert.deepEqual(await status(), first, 'nothing was started again');
});

test('runs complete while history, matching, frontend, PostgreSQL and an agent worker are killed and brought back', async () => {
  const handles: AgentRunHandle[] = [];
  const userOf = new Map<string, string>();
  const ofWave = (wave: number) => (r: { key: { run?: string } }) =>
    r.key.run?.startsWith(`cluster-w${wave}-`) ?? false;
  const count = (wave: number, outcome: string) =>
    stub
      .requests()
      .filter(ofWave(wave))
      .filter((r) => r.outcome === outcome).length;
  const workerInstance = `127.0.0.1:${Number(env.CLUSTER_PORT_BASE) + 16}`;
  const downAlerts = async () =>
    (await prometheusAlerts(prometheusUrl)).filter((a) => a.labels.alertname === 'AgentWorkerDown');

  for (const [wave, service] of ['history', 'matching', 'frontend', 'postgres', 'agent-worker-1'].entries()) {
    // A wave of runs whose model calls the stub holds for 1 s each, so the kill finds calls in flight.
    const runIds = Array.from({ length: 4 }, (_, i) => `cluster-w${wave}-${i}-${randomUUID().slice(0, 6)}`);
    stub.addFaults(runIds.map((run) => ({ kind: 'delay', ms: 1000, times: 100, match: { run } })));
    for (const [i, runId] of runIds.entries()) {
      userOf.set(runId, users[(wave + i) % users.length]);
      handles.push(
        await agents.start({
          runId,
          template: 'react',
          input: { task: 'count', maxSteps: 8 },
          model: 'openai:stub-model?rounds=4',
          user: userOf.get(runId)!,
        }),
      );
    }
    await eventually(
      async () => count(wave, 'ok') >= 2 && count(wave, 'pending') >= 1,
      `wave ${wave}: model calls answered and in flight`,
      120_000,
    );
    if (service === 'agent-worker-1') assert.deepEqual(await downAlerts(), [], 'no worker alert while both are up');

    const inFlight = count(wave, 'pending');
    await cluster(['kill', service], env);
    if (service === 'agent-worker-1') {
      const firing = await eventually(
        async () => (await downAlerts()).find((a) => a.state === 'firing'),
        'AgentWorkerDown to fire',
        60_000,
      );
      assert.equal(firing.labels.instance, workerInstance);
      assert.ok(
        !(await prometheusAlerts(prometheusUrl)).some((a) => a.labels.alertname === 'AgentWorkerMissing'),
        'one worker is still scraped',
      );
    }
    const answered = count(wave, 'ok');
    const started = await cluster(['start', service], env);
    console.log(
      `${service}: killed with ${inFlight} model calls of the wave in flight, healthy again ${started.seconds.toFixed(1)} s after start`,
    );
    await eventually(
      async () => count(wave, 'ok') > answered,
      `wave ${wave} to make progress after ${service} is back`,
      180_000,
    );
    if (service === 'agent-worker-1')
      await eventually(async () => (await downAlerts()).length === 0, 'AgentWorkerDown to clear', 60_000);
  }

  const results = await Promise.all(handles.map((h) => h.result()));
  for (const r of results)
    assert.deepEqual([r.status, r.steps, r.usage.modelCalls, r.usage.toolCalls], ['completed', 5, 5, 4], r.runId);

  const recorded = await recordedModelCalls(handles.map((h) => h.workflow));
  const report = checkRepeats(stub.requests(), recorded);
  console.log(
    `${report.repeated.length} model calls answered again after an abandoned attempt: ${report.repeated.join(', ') || 'none'}`,
  );
  const explain = (keys: string[]) =>
    JSON.stringify({
      calls: stub
        .requests()
        .filter((r) => keys.includes(`${r.key.run}#${r.key.step}`))
        .map((r) => `${r.key.run}#${r.key.step} attempt ${r.key.attempt} at ${r.time} ${r.outcome} ${r.durationMs} ms`),
      recorded: keys.map((key) => ({ key, ...recorded.get(key) })),
    });
  assert.deepEqual(report.unexplained, [], `finished model calls made again: ${explain(report.unexplained)}`);
  assert.deepEqual(report.missing, []);

  for (const user of users) {
    const mine = handles.filter((h) => userOf.get(h.runId) === user);
    const usages = await Promise.all(mine.map(async (h) => (await h.state()).usage));
    const { day, pending } = await agents.usage(user);
    assert.deepEqual(
      { tokens: day.totalTokens, calls: day.calls, usd: day.usd },
      {
        tokens: usages.reduce((n, u) => n + u.inputTokens + u.outputTokens, 0),
        calls: usages.reduce((n, u) => n + u.modelCalls, 0),
        usd: Math.round(usages.reduce((n, u) => n + u.costUsd, 0) * 1e9) / 1e9,
      },
      `ledger of ${user}`,
    );
    assert.equal(pending.calls, 0, `${user}: reservations left behind`);

    // Visibility (search attributes on PostgreSQL) and the CLI on top of it.
    const ids = mine.map((h) => h.runId).sort();
    await eventually(
      async () => {
        const { stdout } = await run(
          'node',
          [join(projectRoot, 'bin', 'agentctl.js'), 'ls', '--user', user, '--status', 'completed', '--json'],
          { TEMPORAL_ADDRESS: address },
          60_000,
        );
        return (
          JSON.stringify((JSON.parse(stdout) as { runId: string }[]).map((r) => r.runId).sort()) === JSON.stringify(ids)
        );
      },
      `agentctl ls to list ${user}'s completed runs`,
      60_000,
    );
    // STARTS_WITH: on PostgreSQL visibility (1.31.0) `=` never matches a value with a `?` (the dev server's SQLite does).
    // An `agentRun` that completed has no `AgentStatus`: Temporal's execution status says it.
    const query = `AgentUser = '${user}' AND AgentTemplate = 'react' AND WorkflowType = 'agentRun' AND ExecutionStatus = 'Completed' AND AgentStatus IS NULL AND AgentKind = 'run' AND AgentModel STARTS_WITH 'openai:stub-model'`;
    const { count: matched } = await client.workflow.count(query);
    assert.equal(matched, ids.length, query);
  }
});

test('down stops every process it started', async () => {
  const before = await status();
  await cluster(['down'], env);
  for (const [service, [pid]] of Object.entries(before)) {
    const left = readdirSync('/proc').filter(
      (p) => /^\d+$/.test(p) && procStat(p)?.pgrp === pid && procStat(p)?.state !== 'Z',
    );
    assert.deepEqual(left, [], `${service}: processes left in group ${pid}`);
  }
  assert.ok(Object.values(await status()).every(([pid, health]) => pid === '-' && health === 'down'));
});
