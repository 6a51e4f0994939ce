/**
 * The Prometheus service: its config and rule files are mounted from the repo where prometheus.yml expects them,
 * the worker job scrapes the worker's METRICS_PORT, and every alert has a firing and a quiet unit test.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { globSync } from 'tinyglobby';
import {
  asArray,
  asObj,
  environmentOf,
  findService,
  hostPathOf,
  loadYamlFile,
  str,
  type ComposeFile,
} from './compose-file';
import type { Problem } from './problem';
import { workerService } from './stack';

/** Prometheus job of the worker: the alert rules and the dashboard select on it. */
export const workerJob = 'temporal-agents-worker';

export interface PrometheusFiles {
  config?: string;
  ruleFiles: string[];
  testFiles: string[];
}

export function checkPrometheus(compose: ComposeFile): { problems: Problem[]; files: PrometheusFiles } {
  const { file, root } = compose;
  const problems: Problem[] = [];
  const files: PrometheusFiles = { ruleFiles: [], testFiles: [] };
  const found = findService(compose, 'prom/prometheus');
  if (!found) {
    problems.push({ file, where: 'services', message: 'no prom/prometheus service' });
    return { problems, files };
  }
  const [name, svc] = found;
  const flag = asArray(svc.command)
    .map((a) => str(a) ?? '')
    .find((a) => a.startsWith('--config.file='));
  const containerConfig = flag ? flag.slice('--config.file='.length) : '/etc/prometheus/prometheus.yml';
  const hostConfig = hostPathOf(containerConfig, svc, root);
  const config = hostConfig ? asObj(loadYamlFile(hostConfig, root, problems)) : undefined;
  if (!hostConfig || !config) {
    problems.push({
      file,
      where: `services.${name}.volumes`,
      message: `${containerConfig} is not bind-mounted from a repo file`,
    });
    return { problems, files };
  }
  files.config = hostConfig;
  const relConfig = path.relative(root, hostConfig);

  // rule_files resolve relative to the config file, inside the container.
  const patterns = asArray(config.rule_files).map((p) => str(p) ?? '');
  if (patterns.length === 0)
    problems.push({ file: relConfig, where: 'rule_files', message: 'no rule files configured' });
  const loaded = new Set<string>();
  patterns.forEach((pattern, i) => {
    const inContainer = path.posix.resolve(path.posix.dirname(containerConfig), pattern);
    const onHost = hostPathOf(inContainer, svc, root);
    const where = `rule_files[${i}]`;
    if (!onHost)
      return void problems.push({
        file: relConfig,
        where,
        message: `${inContainer} is not under any bind mount of ${name}`,
      });
    const matches = globSync(path.relative(root, onHost), { cwd: root, absolute: true });
    if (matches.length === 0)
      problems.push({ file: relConfig, where, message: `"${pattern}" matches no file in the repo` });
    for (const m of matches) loaded.add(path.resolve(m));
  });
  files.ruleFiles = [...loaded].sort();

  // Rule files next to the loaded ones but not loaded, and the promtool unit-test files there.
  for (const dir of new Set(files.ruleFiles.map((f) => path.dirname(f)))) {
    for (const entry of readdirSync(dir)
      .filter((e) => /\.ya?ml$/.test(e))
      .sort()) {
      const full = path.join(dir, entry);
      const doc = asObj(loadYamlFile(full, root, problems));
      if ('groups' in doc && !loaded.has(full)) {
        problems.push({
          file: path.relative(root, full),
          message: `rule file is not matched by rule_files in ${relConfig}`,
        });
      }
      if ('tests' in doc) files.testFiles.push(full);
    }
  }
  problems.push(...checkAlertTests(files, root, relConfig));
  problems.push(...checkWorkerJob(compose, config, relConfig));
  return { problems, files };
}

/** Every alert has a unit test where it fires and one where it stays quiet. */
function checkAlertTests(files: PrometheusFiles, root: string, relConfig: string): Problem[] {
  const problems: Problem[] = [];
  if (files.testFiles.length === 0 && files.ruleFiles.length > 0) {
    problems.push({ file: relConfig, message: 'no promtool unit-test file (with tests:) next to the rule files' });
  }
  const alerts = new Map<string, string>(); // alert -> rule file
  for (const ruleFile of files.ruleFiles) {
    for (const group of asArray(asObj(loadYamlFile(ruleFile, root, problems)).groups)) {
      for (const rule of asArray(asObj(group).rules)) {
        const alert = str(asObj(rule).alert);
        if (alert) alerts.set(alert, ruleFile);
      }
    }
  }
  const firing = new Set<string>();
  const quiet = new Set<string>();
  for (const testFile of files.testFiles) {
    for (const t of asArray(asObj(loadYamlFile(testFile, root, problems)).tests)) {
      for (const a of asArray(asObj(t).alert_rule_test).map(asObj)) {
        const name = str(a.alertname);
        if (name) (asArray(a.exp_alerts).length > 0 ? firing : quiet).add(name);
      }
    }
  }
  for (const [alert, ruleFile] of alerts) {
    const rel = path.relative(root, ruleFile);
    if (!firing.has(alert)) problems.push({ file: rel, where: alert, message: 'no unit test where this alert fires' });
    if (!quiet.has(alert))
      problems.push({ file: rel, where: alert, message: 'no unit test where this alert stays quiet' });
  }
  return problems;
}

/** The worker job exists and its targets are the worker service on METRICS_PORT. */
function checkWorkerJob(compose: ComposeFile, config: Record<string, unknown>, relConfig: string): Problem[] {
  const problems: Problem[] = [];
  const add = (where: string, message: string) => problems.push({ file: relConfig, where, message });
  const worker = compose.services.get(workerService);
  const metricsPort = worker ? environmentOf(worker).get('METRICS_PORT') : undefined;
  const job = asArray(config.scrape_configs)
    .map(asObj)
    .find((j) => j.job_name === workerJob);
  if (!job)
    return [{ file: relConfig, where: 'scrape_configs', message: `no "${workerJob}" job (alert rules select on it)` }];
  const targets: string[] = [];
  for (const sc of asArray(job.static_configs)) for (const t of asArray(asObj(sc).targets)) targets.push(str(t) ?? '');
  for (const dc of asArray(job.dns_sd_configs).map(asObj)) {
    for (const n of asArray(dc.names)) targets.push(`${str(n)}:${str(dc.port) ?? ''}`);
  }
  if (targets.length === 0) add(workerJob, 'job has no static or DNS targets');
  for (const t of targets) {
    const [host, port] = t.split(':');
    if (host !== workerService) add(workerJob, `target ${t} is not the "${workerService}" service`);
    else if (metricsPort && port !== metricsPort)
      add(workerJob, `target ${t} does not use the worker's METRICS_PORT ${metricsPort}`);
  }
  return problems;
}
