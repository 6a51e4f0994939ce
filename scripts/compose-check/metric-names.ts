/** Alert rules and dashboards refer only to metrics the worker exports, by the names worker/ registers. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { Registry } from 'prom-client';
import { EventBus } from '../../worker/events/event-bus';
import { registerFleetGauges } from '../../worker/fleet-gauges';
import { registerAgentMetrics } from '../../worker/metrics';
import { asArray, asObj, parseYamlText, str } from './compose-file';
import { dashboardQueries, type Dashboard } from './grafana';
import type { Problem } from './problem';

/** Names of the `agent_*` metrics the worker registers, read from a scratch registry. */
export function workerMetricNames(): string[] {
  const registry = new Registry();
  registerAgentMetrics(registry, new EventBus());
  // The fleet gauges read the client only when scraped; registering them needs none.
  registerFleetGauges(registry, undefined as unknown as Client);
  return registry
    .getMetricsAsArray()
    .map((m) => m.name)
    .sort();
}

/** Every `agent_*` name in the rules and dashboards is a worker metric (histogram series suffixes allowed). */
export function checkMetricNames(
  ruleFiles: string[],
  dashboards: Dashboard[],
  root: string,
  known = workerMetricNames(),
): Problem[] {
  const problems: Problem[] = [];
  const names = new Set(known);
  const scan = (text: string, file: string) => {
    for (const [name] of text.matchAll(/\bagent_[a-z0-9_]+/g)) {
      if (!names.has(name) && !names.has(name.replace(/_(bucket|sum|count)$/, ''))) {
        problems.push({
          file: path.relative(root, file),
          message: `unknown worker metric ${name} (not registered in worker/metrics.ts or worker/fleet-gauges.ts)`,
        });
      }
    }
  };
  for (const f of ruleFiles) {
    const groups = asArray(asObj(parseYamlText(readFileSync(f, 'utf8'))).groups);
    scan(groups.flatMap((g) => asArray(asObj(g).rules).map((r) => str(asObj(r).expr) ?? '')).join('\n'), f);
  }
  for (const d of dashboards)
    scan(
      dashboardQueries(d.json)
        .map((q) => q.expr)
        .join('\n'),
      d.file,
    );
  return problems;
}
