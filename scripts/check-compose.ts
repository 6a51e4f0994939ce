// Validates docker-compose.yml and the deploy/ configs without Docker:
//   npx tsx scripts/check-compose.ts [path/to/docker-compose.yml]
// Prints one line per problem and exits 1 if there is any; also runs promtool
// (check config, check rules, test rules) and fails when promtool is missing.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';

/** Service that runs our worker image. */
export const workerService = 'worker';
/** Prometheus job of the worker: the alert rules and the dashboard select on it. */
export const workerJob = 'temporal-agents-worker';
/** Worker env vars that must have a non-empty value in the compose file. */
export const workerRequiredEnv = ['TEMPORAL_ADDRESS', 'TEMPORAL_NAMESPACE', 'AGENT_TASK_QUEUE', 'METRICS_PORT'] as const;
/** Worker env vars that must be declared; a key without a value passes the host's value through. */
export const workerPassthroughEnv = ['OPENAI_API_KEY', 'OPENAI_BASE_URL', 'ANTHROPIC_API_KEY', 'ANTHROPIC_BASE_URL', 'OLLAMA_BASE_URL'] as const;
/** Metrics the worker exports: every one is used by an alert or a panel, and nothing else is referenced. */
export const workerMetrics = [
  'agent_runs_total',
  'agent_runs_active',
  'agent_runs_paused',
  'agent_paused_run_age_seconds',
  'agent_model_calls_total',
  'agent_model_call_duration_seconds',
  'agent_rate_limit_rejections_total',
  'agent_quota_rejections_total',
] as const;

const floatingTags = new Set(['latest', 'stable', 'edge', 'nightly', 'main', 'master', 'dev']);
const dependsOnConditions = new Set(['service_started', 'service_healthy', 'service_completed_successfully']);

export interface Problem {
  /** File the problem is in, relative to the repo root. */
  file: string;
  /** Where in the file, e.g. `services.worker.ports[0]`. */
  where?: string;
  message: string;
  /** Extra output (e.g. promtool's), printed after the problem lines. */
  detail?: string;
}

export function formatProblem(p: Problem): string {
  return `${p.file}: ${p.where ? `${p.where}: ` : ''}${p.message}`;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const asObj = (v: unknown): Obj => (isObj(v) ? v : {});
const asArray = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string | undefined =>
  typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined;

/** Parses YAML the way Compose does (anchors, aliases and `<<` merge keys). */
export function parseComposeYaml(text: string): unknown {
  return parseYaml(text, { merge: true, maxAliasCount: -1 });
}

// ---------------------------------------------------------------------------
// Interpolation: ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?err}, ${VAR?err},
// ${VAR:+alt}, ${VAR+alt}, $VAR and $$ escapes, as `docker compose` resolves them.

const interpolationPattern = /\$(?:\$|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])((?:[^{}]|\{[^{}]*\})*))?\}|([A-Za-z_][A-Za-z0-9_]*))/g;

export function interpolate(
  value: string,
  env: Record<string, string | undefined>,
  onProblem: (message: string) => void,
): string {
  return value.replace(interpolationPattern, (match, braced?: string, op?: string, arg?: string, bare?: string) => {
    if (match === '$$') return '$';
    const name = (braced ?? bare) as string;
    const raw = env[name];
    const set = raw !== undefined;
    const nonEmpty = set && raw !== '';
    const nested = (s: string | undefined) => interpolate(s ?? '', env, onProblem);
    switch (op) {
      case ':-':
        return nonEmpty ? (raw as string) : nested(arg);
      case '-':
        return set ? (raw as string) : nested(arg);
      case ':?':
      case '?':
        if (op === ':?' ? nonEmpty : set) return raw as string;
        onProblem(`variable ${name} is required (${arg || 'no message'}) and not set`);
        return '';
      case ':+':
        return nonEmpty ? nested(arg) : '';
      case '+':
        return set ? nested(arg) : '';
      default:
        if (!set) onProblem(`variable ${name} is not set and has no default (would be blank)`);
        return raw ?? '';
    }
  });
}

function interpolateTree(node: unknown, env: Record<string, string | undefined>, onProblem: (where: string, message: string) => void, where = ''): unknown {
  if (typeof node === 'string') return interpolate(node, env, (m) => onProblem(where, m));
  if (Array.isArray(node)) return node.map((v, i) => interpolateTree(v, env, onProblem, `${where}[${i}]`));
  if (isObj(node)) {
    const out: Obj = {};
    for (const [k, v] of Object.entries(node)) out[k] = interpolateTree(v, env, onProblem, where ? `${where}.${k}` : k);
    return out;
  }
  return node;
}

// ---------------------------------------------------------------------------
// Compose document helpers.

export interface Mount {
  kind: 'bind' | 'volume' | 'anonymous' | 'other';
  source?: string;
  target: string;
  readOnly: boolean;
}

export function parseMount(entry: unknown): Mount | undefined {
  if (typeof entry === 'string') {
    const parts = entry.split(':');
    if (parts.length === 1) return { kind: 'anonymous', target: parts[0], readOnly: false };
    const [source, target, mode = ''] = parts;
    const bind = /^(\.{1,2}(\/|$)|\/|~)/.test(source);
    return { kind: bind ? 'bind' : 'volume', source, target, readOnly: mode.split(',').includes('ro') };
  }
  if (isObj(entry)) {
    const type = str(entry.type) ?? 'volume';
    const kind = type === 'bind' ? 'bind' : type === 'volume' ? (entry.source ? 'volume' : 'anonymous') : 'other';
    return { kind, source: str(entry.source), target: str(entry.target) ?? '', readOnly: entry.read_only === true };
  }
  return undefined;
}

/** Environment as a map; `undefined` means "declared without a value" (passed through from the host). */
export function environmentOf(service: Obj): Map<string, string | undefined> {
  const env = new Map<string, string | undefined>();
  const raw = service.environment;
  if (Array.isArray(raw)) {
    for (const item of raw) {
      const s = str(item);
      if (s === undefined) continue;
      const eq = s.indexOf('=');
      if (eq < 0) env.set(s, undefined);
      else env.set(s.slice(0, eq), s.slice(eq + 1));
    }
  } else if (isObj(raw)) {
    for (const [k, v] of Object.entries(raw)) env.set(k, v === null || v === undefined ? undefined : str(v));
  }
  return env;
}

export interface DependsOn {
  service: string;
  condition: string;
}

export function dependsOnOf(service: Obj): DependsOn[] {
  const raw = service.depends_on;
  if (Array.isArray(raw)) return raw.map((s) => ({ service: String(s), condition: 'service_started' }));
  if (isObj(raw)) {
    return Object.entries(raw).map(([name, v]) => ({ service: name, condition: str(asObj(v).condition) ?? 'service_started' }));
  }
  return [];
}

export interface PublishedPort {
  hostIp: string;
  hostPort: number;
  protocol: string;
  spec: string;
}

function expandRange(text: string): number[] | undefined {
  const m = /^(\d+)(?:-(\d+))?$/.exec(text);
  if (!m) return undefined;
  const from = Number(m[1]);
  const to = m[2] ? Number(m[2]) : from;
  if (to < from || to > 65535) return undefined;
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

/** Host ports a `ports:` entry publishes; `[]` when it only picks a random host port; undefined when unparseable. */
export function parsePorts(entry: unknown): PublishedPort[] | undefined {
  if (isObj(entry)) {
    const published = str(entry.published);
    if (published === undefined || published === '') return [];
    const ports = expandRange(published);
    if (!ports) return undefined;
    const hostIp = str(entry.host_ip) ?? '';
    const protocol = str(entry.protocol) ?? 'tcp';
    return ports.map((hostPort) => ({ hostIp, hostPort, protocol, spec: JSON.stringify(entry) }));
  }
  const spec = str(entry);
  if (spec === undefined) return undefined;
  let rest = spec;
  let protocol = 'tcp';
  const slash = rest.lastIndexOf('/');
  if (slash >= 0) {
    protocol = rest.slice(slash + 1);
    rest = rest.slice(0, slash);
  }
  let hostIp = '';
  const v6 = /^\[([^\]]+)\]:(.*)$/.exec(rest);
  if (v6) {
    hostIp = v6[1];
    rest = v6[2];
  }
  const parts = rest.split(':');
  if (!v6 && parts.length === 3) hostIp = parts.shift() as string;
  if (parts.length === 1) return expandRange(parts[0]) ? [] : undefined; // container port only
  if (parts.length !== 2) return undefined;
  if (parts[0] === '') return expandRange(parts[1]) ? [] : undefined; // "ip::container": random host port
  const hostPorts = expandRange(parts[0]);
  if (!hostPorts || !expandRange(parts[1])) return undefined;
  return hostPorts.map((hostPort) => ({ hostIp, hostPort, protocol, spec }));
}

const wildcardIps = new Set(['', '0.0.0.0', '::', '::0']);

function portsCollide(a: PublishedPort, b: PublishedPort): boolean {
  if (a.hostPort !== b.hostPort || a.protocol !== b.protocol) return false;
  return wildcardIps.has(a.hostIp) || wildcardIps.has(b.hostIp) || a.hostIp === b.hostIp;
}

/** Image reference without a floating tag: `name:tag` (tag not `latest` & co.) or `name@sha256:...`. */
export function imagePinProblem(image: string): string | undefined {
  if (/@sha256:[0-9a-f]{64}$/.test(image)) return undefined;
  const lastSlash = image.lastIndexOf('/');
  const colon = image.indexOf(':', lastSlash + 1);
  if (colon < 0) return `image "${image}" has no tag (that means :latest); pin a version`;
  const tag = image.slice(colon + 1);
  if (!tag) return `image "${image}" has an empty tag`;
  if (floatingTags.has(tag.toLowerCase())) return `image "${image}" uses the floating tag "${tag}"; pin a version`;
  return undefined;
}

/** Compose duration ("1m30s", "500ms", "60s") in seconds. */
export function parseDuration(text: string): number | undefined {
  const units: Record<string, number> = { h: 3600, m: 60, s: 1, ms: 0.001, us: 1e-6 };
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(h|ms|m|s|us)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text) return undefined;
  return parts.reduce((sum, p) => sum + Number(p[1]) * units[p[2]], 0);
}

function isInside(root: string, p: string): boolean {
  const rel = path.relative(root, p);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

// ---------------------------------------------------------------------------
// Compose checks.

export interface CheckOptions {
  /** Repo root: bind-mount sources and build contexts resolve against it. */
  root: string;
  /** File name used in messages, relative to root. */
  file?: string;
  /** Variables for ${...} interpolation; default none, i.e. the shipped defaults must work. */
  env?: Record<string, string | undefined>;
}

export interface ComposeModel {
  services: Map<string, Obj>;
  doc: Obj;
}

/** Interpolates a parsed compose document and returns it with its services. */
export function composeModel(rawDoc: unknown, opts: CheckOptions, problems: Problem[]): ComposeModel {
  const file = opts.file ?? 'docker-compose.yml';
  const doc = asObj(
    interpolateTree(rawDoc, opts.env ?? {}, (where, message) => problems.push({ file, where, message })),
  );
  const services = new Map<string, Obj>();
  for (const [name, svc] of Object.entries(asObj(doc.services))) services.set(name, asObj(svc));
  return { doc, services };
}

/** Structural checks of a parsed compose document; returns the problems found. */
export function checkComposeDocument(rawDoc: unknown, opts: CheckOptions): Problem[] {
  const file = opts.file ?? 'docker-compose.yml';
  const root = path.resolve(opts.root);
  const problems: Problem[] = [];
  const add = (where: string, message: string) => problems.push({ file, where, message });

  if (!isObj(rawDoc)) {
    add('', 'not a YAML mapping');
    return problems;
  }
  const { doc, services } = composeModel(rawDoc, opts, problems);
  if (services.size === 0) add('services', 'no services defined');
  const declaredVolumes = new Set(Object.keys(asObj(doc.volumes)));

  // Services that others wait on to *finish* are one-shot jobs (schema setup, namespace).
  const oneShot = new Set<string>();
  for (const svc of services.values()) {
    for (const d of dependsOnOf(svc)) if (d.condition === 'service_completed_successfully') oneShot.add(d.service);
  }

  const published: { service: string; where: string; port: PublishedPort }[] = [];

  for (const [name, svc] of services) {
    const at = `services.${name}`;
    const profiles = asArray(svc.profiles);
    const image = str(svc.image);
    const build = svc.build;

    // Image or build, and pinned.
    if (!image && build === undefined) add(at, 'has neither image nor build');
    if (image && build === undefined) {
      const p = imagePinProblem(image);
      if (p) add(`${at}.image`, p);
    }
    if (build !== undefined) {
      const b = typeof build === 'string' ? { context: build } : asObj(build);
      const context = path.resolve(root, str(b.context) ?? '.');
      if (!existsSync(context) || !statSync(context).isDirectory()) {
        add(`${at}.build.context`, `build context ${path.relative(root, context) || '.'} does not exist`);
      } else {
        const dockerfile = path.resolve(context, str(b.dockerfile) ?? 'Dockerfile');
        if (!existsSync(dockerfile)) add(`${at}.build.dockerfile`, `${path.relative(root, dockerfile)} does not exist`);
        else {
          const text = readFileSync(dockerfile, 'utf8');
          const stages = new Set<string>();
          for (const m of text.matchAll(/^\s*FROM\s+(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?/gim)) {
            const from = m[1];
            if (!stages.has(from.toLowerCase()) && from !== 'scratch' && !from.includes('$')) {
              const p = imagePinProblem(from);
              if (p) add(`${at}.build`, `${path.relative(root, dockerfile)}: base ${p}`);
            }
            if (m[2]) stages.add(m[2].toLowerCase());
          }
        }
      }
    }

    // Restart policy and healthcheck for everything that runs by default.
    if (profiles.length === 0) {
      const restart = str(svc.restart);
      if (!restart || restart === 'no') add(`${at}.restart`, 'no restart policy (use unless-stopped, or on-failure for one-shot jobs)');
      if (!oneShot.has(name)) {
        const hc = asObj(svc.healthcheck);
        if (!svc.healthcheck || hc.disable === true) add(`${at}.healthcheck`, 'long-running service has no healthcheck');
      }
    }

    // Mounts.
    asArray(svc.volumes).forEach((entry, i) => {
      const where = `${at}.volumes[${i}]`;
      const m = parseMount(entry);
      if (!m) return add(where, 'unrecognised volume entry');
      if (!m.target.startsWith('/')) add(where, `mount target "${m.target}" is not an absolute path`);
      if (m.kind === 'bind' && m.source) {
        if (m.source.startsWith('~')) return add(where, `bind source ${m.source} is outside the repo`);
        const src = path.resolve(root, m.source);
        if (!isInside(root, src)) add(where, `bind source ${m.source} is outside the repo`);
        else if (!existsSync(src)) add(where, `bind source ${m.source} does not exist`);
      }
      if (m.kind === 'volume' && m.source && !declaredVolumes.has(m.source)) {
        add(where, `named volume "${m.source}" is not declared under top-level volumes`);
      }
    });

    // depends_on.
    for (const d of dependsOnOf(svc)) {
      const where = `${at}.depends_on.${d.service}`;
      const target = services.get(d.service);
      if (d.service === name) add(where, 'service depends on itself');
      else if (!target) add(where, `depends on unknown service "${d.service}"`);
      else {
        if (!dependsOnConditions.has(d.condition)) add(where, `unknown condition "${d.condition}"`);
        if (d.condition === 'service_healthy' && !target.healthcheck) add(where, `waits for "${d.service}" to be healthy but it has no healthcheck`);
        if (profiles.length === 0 && asArray(target.profiles).length > 0) {
          add(where, `depends on "${d.service}", which only runs with a profile`);
        }
      }
    }

    // Published ports.
    asArray(svc.ports).forEach((entry, i) => {
      const where = `${at}.ports[${i}]`;
      const ports = parsePorts(entry);
      if (!ports) return add(where, `cannot parse port mapping ${JSON.stringify(entry)}`);
      for (const port of ports) published.push({ service: name, where, port });
    });
  }

  // Port collisions across services.
  for (let i = 0; i < published.length; i++) {
    for (let j = i + 1; j < published.length; j++) {
      const a = published[i];
      const b = published[j];
      if (a.where !== b.where && portsCollide(a.port, b.port)) {
        add(b.where, `host port ${b.port.hostPort}/${b.port.protocol} is also published by ${a.where}`);
      }
    }
  }

  // depends_on cycles.
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string, trail: string[]): void => {
    if (state.get(name) === 'done') return;
    if (state.get(name) === 'visiting') {
      add(`services.${name}.depends_on`, `dependency cycle: ${[...trail.slice(trail.indexOf(name)), name].join(' -> ')}`);
      return;
    }
    state.set(name, 'visiting');
    for (const d of dependsOnOf(services.get(name) ?? {})) if (services.has(d.service)) visit(d.service, [...trail, name]);
    state.set(name, 'done');
  };
  for (const name of services.keys()) visit(name, []);

  problems.push(...checkWorker(services, file));
  return problems;
}

/** The worker service: env vars set, Temporal reachable inside the stack, health endpoint checked. */
function checkWorker(services: Map<string, Obj>, file: string): Problem[] {
  const problems: Problem[] = [];
  const at = `services.${workerService}`;
  const add = (where: string, message: string) => problems.push({ file, where, message });
  const worker = services.get(workerService);
  if (!worker) {
    add('services', `no "${workerService}" service`);
    return problems;
  }
  if (worker.build === undefined) add(at, 'worker should be built from the repo (build: .)');
  const env = environmentOf(worker);
  for (const key of workerRequiredEnv) {
    if (!env.has(key)) add(`${at}.environment`, `${key} is not set`);
    else if (!env.get(key)) add(`${at}.environment`, `${key} is empty`);
  }
  for (const key of workerPassthroughEnv) {
    if (!env.has(key)) add(`${at}.environment`, `${key} is not declared (declare it without a value to pass the host's through)`);
  }

  const address = env.get('TEMPORAL_ADDRESS');
  if (address) {
    const m = /^([^:/]+):(\d+)$/.exec(address);
    if (!m) add(`${at}.environment.TEMPORAL_ADDRESS`, `"${address}" is not host:port`);
    else if (services.has(m[1])) {
      if (!dependsOnOf(worker).some((d) => d.service === m[1])) {
        add(`${at}.depends_on`, `worker talks to "${m[1]}" (TEMPORAL_ADDRESS) but does not depend on it`);
      }
    } else if (!m[1].includes('.')) {
      add(`${at}.environment.TEMPORAL_ADDRESS`, `host "${m[1]}" is not a service in this file`);
    }
  }

  // Compose SIGKILLs after stop_grace_period (default 10s): the worker's own
  // drain time must fit inside it or in-flight activities are cut off.
  const grace = Number(env.get('AGENT_SHUTDOWN_GRACE_SECONDS') ?? 10);
  const stopGrace = parseDuration(str(worker.stop_grace_period) ?? '10s');
  if (stopGrace === undefined) add(`${at}.stop_grace_period`, `cannot parse "${str(worker.stop_grace_period)}"`);
  else if (!(grace < stopGrace)) {
    add(`${at}.stop_grace_period`, `${str(worker.stop_grace_period) ?? '10s (default)'} is not longer than AGENT_SHUTDOWN_GRACE_SECONDS=${grace}`);
  }

  const metricsPort = env.get('METRICS_PORT');
  const healthcheck = JSON.stringify(asObj(worker.healthcheck).test ?? '');
  if (!worker.healthcheck) add(`${at}.healthcheck`, 'worker has no healthcheck');
  else if (!healthcheck.includes('/healthz')) add(`${at}.healthcheck`, 'worker healthcheck does not call /healthz');
  else if (metricsPort && !healthcheck.includes(`:${metricsPort}/healthz`)) {
    add(`${at}.healthcheck`, `worker healthcheck does not use METRICS_PORT ${metricsPort}`);
  }
  return problems;
}

// ---------------------------------------------------------------------------
// Container path -> repo path through a service's bind mounts.

function bindMounts(svc: Obj, root: string): { target: string; source: string }[] {
  const out: { target: string; source: string }[] = [];
  for (const entry of asArray(svc.volumes)) {
    const m = parseMount(entry);
    if (m?.kind === 'bind' && m.source) out.push({ target: path.posix.normalize(m.target), source: path.resolve(root, m.source) });
  }
  return out.sort((a, b) => b.target.length - a.target.length);
}

/** Maps a path inside a container to the repo through the longest matching bind mount. */
export function hostPathOf(containerPath: string, svc: Obj, root: string): string | undefined {
  const p = path.posix.normalize(containerPath);
  for (const m of bindMounts(svc, root)) {
    if (p === m.target) return m.source;
    if (p.startsWith(`${m.target}/`)) return path.join(m.source, p.slice(m.target.length + 1));
  }
  return undefined;
}

/** Minimal glob (`*`, `?`, `[...]` within path segments) over the file system. */
export function globFiles(pattern: string): string[] {
  const abs = path.resolve(pattern);
  const parts = abs.split(path.sep);
  let current = [parts[0] === '' ? path.sep : parts[0]];
  for (const seg of parts.slice(1)) {
    if (!seg) continue;
    const next: string[] = [];
    if (!/[*?[]/.test(seg)) {
      for (const dir of current) {
        const p = path.join(dir, seg);
        if (existsSync(p)) next.push(p);
      }
    } else {
      const re = new RegExp(
        `^${seg.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]')}$`,
      );
      for (const dir of current) {
        if (!existsSync(dir) || !statSync(dir).isDirectory()) continue;
        for (const name of readdirSync(dir).sort()) if (re.test(name)) next.push(path.join(dir, name));
      }
    }
    current = next;
  }
  return current.filter((p) => existsSync(p) && statSync(p).isFile());
}

function findService(services: Map<string, Obj>, imagePrefix: string): [string, Obj] | undefined {
  for (const [name, svc] of services) if ((str(svc.image) ?? '').startsWith(imagePrefix)) return [name, svc];
  return undefined;
}

function loadYamlFile(file: string, root: string, problems: Problem[]): unknown {
  const rel = path.relative(root, file);
  try {
    return parseComposeYaml(readFileSync(file, 'utf8'));
  } catch (err) {
    problems.push({ file: rel, message: `cannot parse YAML: ${(err as Error).message.split('\n')[0]}` });
    return undefined;
  }
}

export interface PrometheusFiles {
  config?: string;
  ruleFiles: string[];
  testFiles: string[];
}

/**
 * Prometheus service: its config is mounted from the repo, every rule_files
 * pattern matches mounted rule files, the worker job scrapes the worker's
 * METRICS_PORT, and every alert has a firing and a non-firing unit test.
 */
export function checkPrometheus(rawDoc: unknown, opts: CheckOptions): { problems: Problem[]; files: PrometheusFiles } {
  const file = opts.file ?? 'docker-compose.yml';
  const root = path.resolve(opts.root);
  const problems: Problem[] = [];
  const files: PrometheusFiles = { ruleFiles: [], testFiles: [] };
  const { services } = composeModel(rawDoc, opts, []);
  const found = findService(services, 'prom/prometheus');
  if (!found) {
    problems.push({ file, where: 'services', message: 'no prom/prometheus service' });
    return { problems, files };
  }
  const [name, svc] = found;
  const at = `services.${name}`;
  const args = asArray(svc.command).map((a) => str(a) ?? '');
  const flag = args.find((a) => a.startsWith('--config.file='));
  const containerConfig = flag ? flag.slice('--config.file='.length) : '/etc/prometheus/prometheus.yml';
  const hostConfig = hostPathOf(containerConfig, svc, root);
  if (!hostConfig || !existsSync(hostConfig)) {
    problems.push({ file, where: `${at}.volumes`, message: `${containerConfig} is not bind-mounted from an existing repo file` });
    return { problems, files };
  }
  files.config = hostConfig;
  const relConfig = path.relative(root, hostConfig);
  const config = asObj(loadYamlFile(hostConfig, root, problems));

  // rule_files resolve relative to the config file, inside the container.
  const patterns = asArray(config.rule_files).map((p) => str(p) ?? '');
  if (patterns.length === 0) problems.push({ file: relConfig, where: 'rule_files', message: 'no rule files configured' });
  const loaded = new Set<string>();
  patterns.forEach((pattern, i) => {
    const containerPattern = path.posix.isAbsolute(pattern) ? pattern : path.posix.join(path.posix.dirname(containerConfig), pattern);
    const hostPattern = hostPathOf(containerPattern, svc, root);
    const where = `rule_files[${i}]`;
    if (!hostPattern) {
      problems.push({ file: relConfig, where, message: `${containerPattern} is not under any bind mount of ${name}` });
      return;
    }
    const matches = globFiles(hostPattern);
    if (matches.length === 0) problems.push({ file: relConfig, where, message: `"${pattern}" matches no file (looked for ${path.relative(root, hostPattern)})` });
    for (const m of matches) loaded.add(m);
  });
  files.ruleFiles = [...loaded].sort();

  // Rule files sitting next to the loaded ones but not loaded, and unit tests.
  const alerts = new Map<string, string>(); // alert -> rule file
  for (const dir of new Set(files.ruleFiles.map((f) => path.dirname(f)))) {
    for (const entry of readdirSync(dir).sort()) {
      const full = path.join(dir, entry);
      if (!/\.ya?ml$/.test(entry)) continue;
      const doc = asObj(loadYamlFile(full, root, problems));
      if ('groups' in doc && !loaded.has(full)) {
        problems.push({ file: path.relative(root, full), message: `rule file is not matched by rule_files in ${relConfig}` });
      }
      if ('tests' in doc) files.testFiles.push(full);
    }
  }
  for (const ruleFile of files.ruleFiles) {
    const doc = asObj(loadYamlFile(ruleFile, root, problems));
    for (const group of asArray(doc.groups)) {
      for (const rule of asArray(asObj(group).rules)) {
        const alert = str(asObj(rule).alert);
        if (alert) alerts.set(alert, ruleFile);
      }
    }
  }
  if (files.testFiles.length === 0 && files.ruleFiles.length > 0) {
    problems.push({ file: relConfig, message: 'no promtool unit-test file (with tests:) next to the rule files' });
  }
  const firing = new Set<string>();
  const quiet = new Set<string>();
  for (const testFile of files.testFiles) {
    const doc = asObj(loadYamlFile(testFile, root, problems));
    for (const t of asArray(doc.tests)) {
      for (const a of asArray(asObj(t).alert_rule_test)) {
        const name = str(asObj(a).alertname);
        if (!name) continue;
        (asArray(asObj(a).exp_alerts).length > 0 ? firing : quiet).add(name);
      }
    }
  }
  for (const [alert, ruleFile] of alerts) {
    const rel = path.relative(root, ruleFile);
    if (!firing.has(alert)) problems.push({ file: rel, where: alert, message: 'no unit test where this alert fires' });
    if (!quiet.has(alert)) problems.push({ file: rel, where: alert, message: 'no unit test where this alert stays quiet' });
  }

  // The worker job: name the rules rely on, targets = worker service on METRICS_PORT.
  const worker = services.get(workerService);
  const metricsPort = worker ? environmentOf(worker).get('METRICS_PORT') : undefined;
  const job = asArray(config.scrape_configs).map(asObj).find((j) => j.job_name === workerJob);
  if (!job) problems.push({ file: relConfig, where: 'scrape_configs', message: `no "${workerJob}" job (alert rules select on it)` });
  else {
    const targets: string[] = [];
    for (const sc of asArray(job.static_configs)) for (const t of asArray(asObj(sc).targets)) targets.push(str(t) ?? '');
    for (const dc of asArray(job.dns_sd_configs)) {
      const d = asObj(dc);
      for (const n of asArray(d.names)) targets.push(`${str(n)}:${str(d.port) ?? ''}`);
    }
    if (targets.length === 0) problems.push({ file: relConfig, where: workerJob, message: 'job has no static or DNS targets' });
    for (const t of targets) {
      const [host, port] = t.split(':');
      if (host !== workerService) problems.push({ file: relConfig, where: workerJob, message: `target ${t} is not the "${workerService}" service` });
      else if (metricsPort && port !== metricsPort) {
        problems.push({ file: relConfig, where: workerJob, message: `target ${t} does not use the worker's METRICS_PORT ${metricsPort}` });
      }
    }
  }
  return { problems, files };
}

export interface Dashboard {
  file: string;
  json: Obj;
}

/** Grafana service: provisioning mounted, datasource points at a service, dashboards parse. */
export function checkGrafana(rawDoc: unknown, opts: CheckOptions): { problems: Problem[]; dashboards: Dashboard[] } {
  const file = opts.file ?? 'docker-compose.yml';
  const root = path.resolve(opts.root);
  const problems: Problem[] = [];
  const dashboards: Dashboard[] = [];
  const { services } = composeModel(rawDoc, opts, []);
  const found = findService(services, 'grafana/grafana');
  if (!found) {
    problems.push({ file, where: 'services', message: 'no grafana/grafana service' });
    return { problems, dashboards };
  }
  const [name, svc] = found;
  const provisioning = hostPathOf('/etc/grafana/provisioning', svc, root);
  if (!provisioning || !existsSync(provisioning)) {
    problems.push({ file, where: `services.${name}.volumes`, message: '/etc/grafana/provisioning is not mounted from the repo' });
    return { problems, dashboards };
  }
  const yamlIn = (dir: string) =>
    existsSync(dir) ? readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort().map((f) => path.join(dir, f)) : [];

  const datasourceUids = new Set<string>();
  const dsFiles = yamlIn(path.join(provisioning, 'datasources'));
  if (dsFiles.length === 0) problems.push({ file: path.relative(root, provisioning), message: 'no datasource provisioning under datasources/' });
  for (const f of dsFiles) {
    for (const ds of asArray(asObj(loadYamlFile(f, root, problems)).datasources)) {
      const d = asObj(ds);
      if (str(d.uid)) datasourceUids.add(str(d.uid) as string);
      const url = str(d.url);
      const host = url ? /^\w+:\/\/([^:/]+)/.exec(url)?.[1] : undefined;
      if (!host) problems.push({ file: path.relative(root, f), where: str(d.name), message: 'datasource has no URL' });
      else if (!services.has(host)) {
        problems.push({ file: path.relative(root, f), where: str(d.name), message: `datasource URL host "${host}" is not a service` });
      }
    }
  }

  const dbFiles = yamlIn(path.join(provisioning, 'dashboards'));
  if (dbFiles.length === 0) problems.push({ file: path.relative(root, provisioning), message: 'no dashboard provisioning under dashboards/' });
  for (const f of dbFiles) {
    for (const p of asArray(asObj(loadYamlFile(f, root, problems)).providers)) {
      const containerDir = str(asObj(asObj(p).options).path);
      const hostDir = containerDir ? hostPathOf(containerDir, svc, root) : undefined;
      if (!hostDir || !existsSync(hostDir)) {
        problems.push({ file: path.relative(root, f), message: `dashboard path ${containerDir} is not mounted from the repo` });
        continue;
      }
      const jsonFiles = readdirSync(hostDir).filter((n) => n.endsWith('.json')).sort();
      if (jsonFiles.length === 0) problems.push({ file: path.relative(root, hostDir), message: 'no dashboard JSON' });
      for (const n of jsonFiles) {
        const full = path.join(hostDir, n);
        const rel = path.relative(root, full);
        let json: Obj;
        try {
          json = asObj(JSON.parse(readFileSync(full, 'utf8')));
        } catch (err) {
          problems.push({ file: rel, message: `invalid JSON: ${(err as Error).message}` });
          continue;
        }
        if (!str(json.uid) || !str(json.title)) problems.push({ file: rel, message: 'dashboard needs a uid and a title' });
        for (const panel of panelsOf(json)) {
          const uid = str(asObj(panel.datasource).uid);
          if (uid && !uid.startsWith('$') && !datasourceUids.has(uid)) {
            problems.push({ file: rel, where: `panel "${str(panel.title)}"`, message: `datasource uid "${uid}" is not provisioned` });
          }
        }
        dashboards.push({ file: full, json });
      }
    }
  }
  return { problems, dashboards };
}

function panelsOf(dashboard: Obj): Obj[] {
  const out: Obj[] = [];
  const walk = (list: unknown) => {
    for (const p of asArray(list)) {
      out.push(asObj(p));
      walk(asObj(p).panels);
    }
  };
  walk(dashboard.panels);
  return out;
}

/** PromQL of every dashboard target, with Grafana variables replaced so promtool can parse it. */
export function dashboardQueries(dashboard: Obj): { panel: string; expr: string }[] {
  const out: { panel: string; expr: string }[] = [];
  for (const panel of panelsOf(dashboard)) {
    for (const t of asArray(panel.targets)) {
      const expr = str(asObj(t).expr);
      if (!expr) continue;
      out.push({
        panel: str(panel.title) ?? '?',
        expr: expr
          .replace(/\$__(rate_interval|interval|range)\b/g, (_m, v: string) => (v === 'range' ? '1h' : '5m'))
          .replace(/\$\{?\w+\}?/g, '.*'),
      });
    }
  }
  return out;
}

/** Metric names in rules and dashboards are the worker's, and every worker metric is used. */
export function checkMetricContract(ruleFiles: string[], dashboards: Dashboard[], root: string): Problem[] {
  const problems: Problem[] = [];
  const known = new Set<string>(workerMetrics);
  const used = new Set<string>();
  const scan = (text: string, rel: string) => {
    for (const m of text.matchAll(/\bagent_[a-z0-9_]+/g)) {
      const base = m[0].replace(/_(bucket|sum|count)$/, '');
      const name = known.has(m[0]) ? m[0] : known.has(base) ? base : undefined;
      if (name) used.add(name);
      else problems.push({ file: rel, message: `unknown worker metric ${m[0]} (not in workerMetrics of scripts/check-compose.ts)` });
    }
  };
  for (const f of ruleFiles) {
    const doc = asObj(parseComposeYaml(readFileSync(f, 'utf8')));
    const exprs = asArray(doc.groups).flatMap((g) => asArray(asObj(g).rules).map((r) => str(asObj(r).expr) ?? ''));
    scan(exprs.join('\n'), path.relative(root, f));
  }
  for (const d of dashboards) scan(dashboardQueries(d.json).map((q) => q.expr).join('\n'), path.relative(root, d.file));
  for (const metric of workerMetrics) {
    if (!used.has(metric)) problems.push({ file: 'deploy/', message: `worker metric ${metric} is used by no alert rule or dashboard panel` });
  }
  return problems;
}

// ---------------------------------------------------------------------------
// promtool.

export interface PromtoolResult {
  ok: boolean;
  status: number | null;
  output: string;
  missing: boolean;
}

export function runPromtool(args: string[], cwd: string): PromtoolResult {
  const r = spawnSync('promtool', args, { cwd, encoding: 'utf8' });
  if (r.error) {
    const missing = (r.error as NodeJS.ErrnoException).code === 'ENOENT';
    return { ok: false, status: null, output: r.error.message, missing };
  }
  return { ok: r.status === 0, status: r.status, output: `${r.stdout}${r.stderr}`.trim(), missing: false };
}

export const promtoolMissingMessage =
  'promtool is not installed (Debian/Ubuntu: apt-get install -y prometheus; or a Prometheus release tarball); it is required to check the Prometheus config and run the alert-rule tests';

/** promtool check config / check rules / test rules, plus a parse check of the dashboard queries. */
export function runPromtoolChecks(files: PrometheusFiles, dashboards: Dashboard[], root: string): Problem[] {
  const problems: Problem[] = [];
  const probe = runPromtool(['--version'], root);
  if (probe.missing) return [{ file: 'promtool', message: promtoolMissingMessage }];
  const rel = (f: string) => path.relative(root, f);
  const run = (args: string[], file: string) => {
    const r = runPromtool(args, root);
    if (!r.ok) {
      // `test rules` names failing cases as "alertname: X, time: T"; otherwise take the first error line.
      const cases = [...r.output.matchAll(/alertname: ([^,\s]+), time: ([^,\s]+)/g)].map((m) => `${m[1]} at ${m[2]}`);
      const firstLine = r.output.split('\n').find((l) => /error|err:|FAILED: \S/i.test(l))?.trim() ?? `exit ${r.status}`;
      const why = cases.length ? `unexpected alerts for ${cases.join(', ')}` : firstLine;
      problems.push({ file, message: `promtool ${args.join(' ')} failed: ${why}`, detail: r.output });
    }
  };
  if (files.config) run(['check', 'config', rel(files.config)], rel(files.config));
  if (files.ruleFiles.length) run(['check', 'rules', ...files.ruleFiles.map(rel)], rel(files.ruleFiles[0]));
  for (const t of files.testFiles) run(['test', 'rules', rel(t)], rel(t));

  // Dashboard queries: parse them as recording rules.
  const queries = dashboards.flatMap((d) => dashboardQueries(d.json).map((q) => ({ ...q, file: d.file })));
  if (queries.length) {
    const dir = mkdtempSync(path.join(tmpdir(), 'check-compose-'));
    try {
      const rulesFile = path.join(dir, 'dashboard-queries.yml');
      const rules = queries.map((q, i) => `      - record: dashboard_query_${i}\n        expr: ${JSON.stringify(q.expr)}`);
      writeFileSync(rulesFile, `groups:\n  - name: dashboard-queries\n    rules:\n${rules.join('\n')}\n`);
      const r = runPromtool(['check', 'rules', rulesFile], root);
      if (!r.ok) {
        const files = [...new Set(queries.map((q) => rel(q.file)))].join(', ');
        problems.push({ file: files, message: 'a dashboard query is not valid PromQL (promtool check rules)', detail: r.output });
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return problems;
}

// ---------------------------------------------------------------------------

export interface CheckAllResult {
  problems: Problem[];
  summary: string[];
}

/** Every check for a compose file: structure, Prometheus, Grafana, metric names, and promtool. */
export function checkAll(composeFile: string, opts: { promtool?: boolean; env?: Record<string, string | undefined> } = {}): CheckAllResult {
  const root = path.dirname(path.resolve(composeFile));
  const file = path.basename(composeFile);
  const problems: Problem[] = [];
  const summary: string[] = [];
  let doc: unknown;
  try {
    doc = parseComposeYaml(readFileSync(composeFile, 'utf8'));
  } catch (err) {
    return { problems: [{ file, message: `cannot read/parse: ${(err as Error).message.split('\n')[0]}` }], summary };
  }
  const checkOpts: CheckOptions = { root, file, env: opts.env };
  problems.push(...checkComposeDocument(doc, checkOpts));
  summary.push(`${file}: ${Object.keys(asObj(asObj(doc).services)).length} services`);

  const prom = checkPrometheus(doc, checkOpts);
  problems.push(...prom.problems);
  summary.push(`prometheus: ${prom.files.ruleFiles.length} rule file(s), ${prom.files.testFiles.length} test file(s)`);
  const grafana = checkGrafana(doc, checkOpts);
  problems.push(...grafana.problems);
  summary.push(`grafana: ${grafana.dashboards.length} dashboard(s)`);
  problems.push(...checkMetricContract(prom.files.ruleFiles, grafana.dashboards, root));

  if (opts.promtool !== false) {
    problems.push(...runPromtoolChecks(prom.files, grafana.dashboards, root));
    summary.push('promtool: check config, check rules, test rules, dashboard queries');
  }
  return { problems, summary };
}

function main(argv: string[]): number {
  const args = argv.filter((a) => !a.startsWith('-'));
  if (argv.includes('-h') || argv.includes('--help')) {
    console.log('Usage: npx tsx scripts/check-compose.ts [docker-compose.yml]');
    return 0;
  }
  const composeFile = path.resolve(args[0] ?? path.join(__dirname, '..', 'docker-compose.yml'));
  const { problems, summary } = checkAll(composeFile);
  if (problems.length === 0) {
    console.log(`check-compose: OK (${summary.join('; ')})`);
    return 0;
  }
  for (const p of problems) console.error(formatProblem(p));
  for (const p of problems.filter((x) => x.detail)) {
    console.error(`\n--- ${formatProblem(p)}\n${p.detail}`);
  }
  console.error(`\ncheck-compose: ${problems.length} problem(s)`);
  return 1;
}

if (require.main === module) process.exit(main(process.argv.slice(2)));
