/** Every check for a compose file, in the order the CLI prints them. */
import { checkGrafana } from './grafana';
import { checkMetricNames } from './metric-names';
import type { Problem } from './problem';
import { checkPrometheus } from './prometheus';
import { runPromtoolChecks } from './promtool';
import { readComposeFile } from './compose-file';
import { checkStack } from './stack';

export interface CheckAllResult {
  problems: Problem[];
  summary: string[];
}

/** Schema, stack wiring, Prometheus, Grafana, metric names, and (unless `promtool: false`) promtool. */
export function checkAll(composePath: string, opts: { promtool?: boolean } = {}): CheckAllResult {
  const problems: Problem[] = [];
  const summary: string[] = [];
  const compose = readComposeFile(composePath, problems);
  if (!compose) return { problems, summary };
  summary.push(`${compose.file}: ${compose.services.size} services, compose-spec schema`);
  problems.push(...checkStack(compose));
  const prom = checkPrometheus(compose);
  problems.push(...prom.problems);
  summary.push(`prometheus: ${prom.files.ruleFiles.length} rule file(s), ${prom.files.testFiles.length} test file(s)`);
  const grafana = checkGrafana(compose);
  problems.push(...grafana.problems);
  summary.push(`grafana: ${grafana.dashboards.length} dashboard(s)`);
  problems.push(...checkMetricNames(prom.files.ruleFiles, grafana.dashboards, compose.root));
  if (opts.promtool !== false) {
    problems.push(...runPromtoolChecks(prom.files, grafana.dashboards, compose.root));
    summary.push('promtool: check config, check rules, test rules, dashboard queries');
  }
  return { problems, summary };
}
