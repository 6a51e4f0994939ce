/**
 * Keeps docker-compose.yml and scripts/cluster.sh describing the same stack: the same services, versions and
 * environment variables, and the same Prometheus jobs. What differs on purpose is declared here with the reason,
 * so a change on either side fails the check until it is mirrored or declared.
 * Run: `npx tsx scripts/cluster/drift.ts` (prints one line per problem, exit 1 if any).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';

type Obj = Record<string, unknown>;

/** What scripts/cluster.sh runs for each compose service. */
export const topology: Record<string, { cluster: string[] } | { step: string } | { notRun: string }> = {
  postgresql: { cluster: ['postgres'] },
  'temporal-schema': { step: 'migrate_schemas' },
  temporal: { cluster: ['history', 'matching', 'frontend', 'worker'] },
  'temporal-create-namespace': { step: 'register_namespace' },
  'temporal-admin-tools': { notRun: 'a shell for the temporal CLI; on the host it is .venv/bin/temporal' },
  'temporal-ui': { cluster: ['ui'] },
  worker: { cluster: ['agent-worker-1', 'agent-worker-2'] },
  prometheus: { cluster: ['prometheus'] },
  grafana: { notRun: 'neither Debian nor the Go proxy has a Grafana with its web frontend built' },
};

/** Versions that differ on purpose: [compose image tag, version the script runs, why]. */
export const versionDifferences: Record<string, [string, string, string]> = {
  postgresql: ['16.10', '15', 'Debian bookworm ships PostgreSQL 15; Temporal needs 12 or later'],
  prometheus: ['v3.5.0', '2.42.0', 'Debian bookworm ships Prometheus 2.42, on which promtool tests the rules'],
};

/** Variables of one side only, and why. */
export const envDifferences: Record<string, string> = {
  'worker OLLAMA_BASE_URL':
    "host.docker.internal is Docker's name for the host; on the host the worker's default applies",
  'worker METRICS_HOST': 'compose listens inside its network; the script on loopback only',
  'compose BIND_ADDR': 'the script binds every port to 127.0.0.1',
  'compose GRAFANA_ADMIN_USER': 'Grafana is not run by the script',
  'compose GRAFANA_ADMIN_PASSWORD': 'Grafana is not run by the script',
  'compose OLLAMA_BASE_URL': "host.docker.internal is Docker's name for the host",
};

/** How each Temporal server variable of compose shows in the script's config: [config path, expected], or why not. */
const serverEnv: Record<string, (c: Obj, compose: string) => string | undefined> = {
  DB: (c, v) => eq(v, at(c, 'persistence.datastores.postgres-default.sql.pluginName')),
  POSTGRES_USER: (c, v) => eq(v, at(c, 'persistence.datastores.postgres-default.sql.user')),
  POSTGRES_PWD: (c, v) => eq(v, at(c, 'persistence.datastores.postgres-default.sql.password')),
  NUM_HISTORY_SHARDS: (c, v) => eq(v, String(at(c, 'persistence.numHistoryShards'))),
  DYNAMIC_CONFIG_FILE_PATH: (c, v) =>
    eq(path.basename(v), path.basename(String(at(c, 'dynamicConfigClient.filepath')))),
  PROMETHEUS_ENDPOINT: (c) =>
    at(c, 'global.metrics.prometheus.listenAddress') ? undefined : 'no metrics listenAddress',
  LOG_LEVEL: (c) =>
    /env LOG_LEVEL/.test(String(at(c, 'log.level'))) ? undefined : 'log.level does not read LOG_LEVEL',
  // Addresses: the script's own ports on loopback.
  DB_PORT: () => undefined,
  POSTGRES_SEEDS: () => undefined,
  BIND_ON_IP: () => undefined,
};

const eq = (compose: string, cluster: unknown) =>
  compose === cluster ? undefined : `compose ${compose}, script ${String(cluster)}`;
const at = (o: Obj, dotted: string): unknown =>
  dotted.split('.').reduce<unknown>((v, k) => (v as Obj | undefined)?.[k], o);
const tag = (image: unknown) => String(image).split(':').pop()!;
/** `${VAR:-default}` → default; `${VAR}` → ''. */
const interpolate = (value: unknown) =>
  String(value ?? '').replace(/\$\{(\w+)(?::?-([^}]*))?\}/g, (_m, _n, d: string | undefined) => d ?? '');

/** What the script says about itself (`cluster.sh versions|services|env|config`, and its settings' defaults). */
export interface ClusterFacts {
  versions: Record<string, string>;
  services: string[];
  env: Record<string, Record<string, string>>;
  temporalConfig: Obj;
  prometheusConfig: Obj;
  /** `VAR=${VAR:-default}` lines of scripts/cluster/settings.sh. */
  defaults: Record<string, string>;
  scriptText: string;
}

export function readClusterFacts(root: string): ClusterFacts {
  const run = (...args: string[]) =>
    execFileSync('bash', [path.join(root, 'scripts', 'cluster.sh'), ...args], { encoding: 'utf8', env: cleanEnv() });
  const keyValues = (text: string) =>
    Object.fromEntries(
      text
        .split('\n')
        .filter(Boolean)
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
  const services = run('services').trim().split(/\s+/);
  const settings = readFileSync(path.join(root, 'scripts', 'cluster', 'settings.sh'), 'utf8');
  return {
    versions: keyValues(run('versions')),
    services,
    env: Object.fromEntries(services.map((s) => [s, keyValues(run('env', s))])),
    // Temporal's config is a Go template: each `{{ ... }}` becomes a plain `TEMPLATE[...]` without quotes.
    temporalConfig: parseYaml(
      run('config', 'temporal').replace(/\{\{(.*?)\}\}/g, (_m, t: string) => `TEMPLATE[${t.replace(/["']/g, '')}]`),
    ) as Obj,
    prometheusConfig: parseYaml(run('config', 'prometheus')) as Obj,
    defaults: Object.fromEntries([...settings.matchAll(/^(\w+)=\$\{\1:-([^}]*)\}$/gm)].map((m) => [m[1], m[2]])),
    scriptText: ['cluster.sh', 'cluster/services.sh']
      .map((f) => readFileSync(path.join(root, 'scripts', f), 'utf8'))
      .join('\n'),
  };
}

/** The script's defaults, not the caller's settings. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const key of Object.keys(env)) if (/^(CLUSTER_|TEMPORAL_|POSTGRES_|AGENT_)/.test(key)) delete env[key];
  return env;
}

export function checkDrift(compose: Obj, facts: ClusterFacts, prometheusYml: Obj): string[] {
  const problems: string[] = [];
  const services = (compose.services ?? {}) as Record<string, Obj>;
  const envOf = (name: string) => {
    const raw = (services[name]?.environment ?? {}) as Record<string, unknown>;
    return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, v === null ? undefined : interpolate(v)]));
  };

  // Services: every compose service mapped, every script service in the map.
  for (const name of Object.keys(services))
    if (!(name in topology))
      problems.push(`compose service ${name} has no counterpart in scripts/cluster.sh (declare it in drift.ts)`);
  for (const name of Object.keys(topology))
    if (!(name in services)) problems.push(`${name} is declared in drift.ts but not in docker-compose.yml`);
  const mapped = Object.values(topology).flatMap((t) => ('cluster' in t ? t.cluster : []));
  if ([...mapped].sort().join() !== [...facts.services].sort().join())
    problems.push(`script services [${facts.services}] are not compose's [${mapped}]`);
  for (const t of Object.values(topology))
    if ('step' in t && !facts.scriptText.includes(`${t.step}()`))
      problems.push(`scripts/cluster.sh has no step ${t.step}`);

  // Versions.
  const version = (service: string, compose: string, script: string) => {
    if (compose === script) return;
    const declared = versionDifferences[service];
    if (declared?.[0] === compose && declared[1] === script) return;
    problems.push(
      `${service}: compose runs ${compose}, scripts/cluster.sh ${script}${declared ? ` (declared: ${declared[0]} vs ${declared[1]})` : ''}`,
    );
  };
  version('temporal', tag(services.temporal?.image), facts.versions.TEMPORAL_VERSION);
  for (const name of ['temporal-schema', 'temporal-create-namespace', 'temporal-admin-tools'])
    version(name, tag(services[name]?.image), facts.versions.TEMPORAL_VERSION);
  version('temporal-ui', tag(services['temporal-ui']?.image), facts.versions.UI_SERVER_VERSION);
  version('postgresql', tag(services.postgresql?.image), facts.versions.POSTGRES_MAJOR);
  version('prometheus', tag(services.prometheus?.image), facts.versions.PROMETHEUS_VERSION);

  // Environment of the agent workers and the UI: the same variables, the same constant values.
  const sameEnv = (composeName: string, scriptName: string, addresses: string[]) => {
    const c = envOf(composeName);
    const s = facts.env[scriptName] ?? {};
    for (const [key, value] of Object.entries(c)) {
      if (envDifferences[`${composeName} ${key}`]) continue;
      if (value === undefined) {
        if (key in s)
          problems.push(`${composeName}: compose passes ${key} through from the shell, scripts/cluster.sh sets it`);
      } else if (!(key in s)) problems.push(`${composeName}: compose sets ${key}, scripts/cluster.sh does not`);
      else if (!addresses.includes(key) && s[key] !== value)
        problems.push(`${composeName}: ${key} is ${value} in compose, ${s[key]} in scripts/cluster.sh`);
    }
    for (const key of Object.keys(s))
      if (!(key in c) && !envDifferences[`${composeName} ${key}`])
        problems.push(`${composeName}: scripts/cluster.sh sets ${key}, compose does not`);
  };
  sameEnv('worker', 'agent-worker-1', ['TEMPORAL_ADDRESS', 'METRICS_PORT']);
  sameEnv('temporal-ui', 'ui', ['TEMPORAL_ADDRESS', 'TEMPORAL_UI_PORT']);

  // Temporal server and schema job: every variable reflected in the script's config.
  for (const name of ['temporal', 'temporal-schema']) {
    for (const [key, value] of Object.entries(envOf(name))) {
      const check = serverEnv[key];
      const problem = check ? check(facts.temporalConfig, value ?? '') : 'not mapped in drift.ts';
      if (problem) problems.push(`${name}: ${key}: ${problem}`);
    }
  }
  for (const [key, value] of Object.entries(envOf('temporal-create-namespace'))) {
    if (key !== 'TEMPORAL_ADDRESS' && !facts.scriptText.includes(`${key}=`))
      problems.push(`temporal-create-namespace: ${key} is not passed by scripts/cluster.sh`);
    const variable = /\$\{(\w+)/.exec(
      String((services['temporal-create-namespace']?.environment as Obj)?.[key] ?? ''),
    )?.[1];
    if (variable && facts.defaults[variable] !== value)
      problems.push(
        `${variable}: default ${value} in compose, ${facts.defaults[variable]} in scripts/cluster/settings.sh`,
      );
  }

  // Compose variables: the script reads the same names with the same defaults.
  for (const m of JSON.stringify(compose).matchAll(/\$\{(\w+):-([^}]*)\}/g)) {
    const [, variable, value] = m;
    if (envDifferences[`compose ${variable}`]) continue;
    if (facts.defaults[variable] !== value)
      problems.push(
        `\${${variable}:-${value}} in compose, ${facts.defaults[variable] === undefined ? 'not read' : `default ${facts.defaults[variable]}`} in scripts/cluster/settings.sh`,
      );
  }

  // Prometheus: the same jobs, labels and interval as deploy/prometheus/prometheus.yml.
  const jobs = (c: Obj) =>
    ((c.scrape_configs ?? []) as Obj[])
      .map((j) => j.job_name)
      .sort()
      .join();
  if (jobs(prometheusYml) !== jobs(facts.prometheusConfig))
    problems.push(
      `Prometheus jobs: [${jobs(prometheusYml)}] in deploy/, [${jobs(facts.prometheusConfig)}] in scripts/cluster.sh`,
    );
  for (const key of ['external_labels', 'scrape_interval', 'evaluation_interval']) {
    const [a, b] = [
      JSON.stringify(at(prometheusYml, `global.${key}`)),
      JSON.stringify(at(facts.prometheusConfig, `global.${key}`)),
    ];
    if (a !== b) problems.push(`Prometheus global.${key}: ${a} in deploy/, ${b} in scripts/cluster.sh`);
  }
  return problems;
}

export function loadCompose(root: string): Obj {
  return parseYaml(readFileSync(path.join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as Obj;
}

if (require.main === module) {
  const root = path.resolve(__dirname, '..', '..');
  const problems = checkDrift(
    loadCompose(root),
    readClusterFacts(root),
    parseYaml(readFileSync(path.join(root, 'deploy/prometheus/prometheus.yml'), 'utf8')) as Obj,
  );
  for (const p of problems) console.log(p);
  process.exitCode = problems.length ? 1 : 0;
}
