/** promtool (Debian package `prometheus`): check config, check rules, test rules, and a PromQL parse of dashboards. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { dashboardQueries, type Dashboard } from './grafana';
import type { PrometheusFiles } from './prometheus';
import type { Problem } from './problem';

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

export function runPromtoolChecks(files: PrometheusFiles, dashboards: Dashboard[], root: string): Problem[] {
  if (runPromtool(['--version'], root).missing) return [{ file: 'promtool', message: promtoolMissingMessage }];
  const problems: Problem[] = [];
  const rel = (f: string) => path.relative(root, f);
  const run = (args: string[], file: string) => {
    const r = runPromtool(args, root);
    if (r.ok) return;
    // `test rules` names failing cases as "alertname: X, time: T"; otherwise take the first error line.
    const cases = [...r.output.matchAll(/alertname: ([^,\s]+), time: ([^,\s]+)/g)].map((m) => `${m[1]} at ${m[2]}`);
    const firstLine =
      r.output
        .split('\n')
        .find((l) => /error|err:|FAILED: \S/i.test(l))
        ?.trim() ?? `exit ${r.status}`;
    const why = cases.length ? `unexpected alerts for ${cases.join(', ')}` : firstLine;
    problems.push({ file, message: `promtool ${args.join(' ')} failed: ${why}`, detail: r.output });
  };
  if (files.config) run(['check', 'config', rel(files.config)], rel(files.config));
  if (files.ruleFiles.length) run(['check', 'rules', ...files.ruleFiles.map(rel)], rel(files.ruleFiles[0]));
  for (const t of files.testFiles) run(['test', 'rules', rel(t)], rel(t));

  // Dashboard queries: promtool parses them as recording rules.
  const queries = dashboards.flatMap((d) => dashboardQueries(d.json).map((q) => ({ ...q, file: d.file })));
  if (queries.length === 0) return problems;
  const dir = mkdtempSync(path.join(tmpdir(), 'check-compose-'));
  try {
    const rulesFile = path.join(dir, 'dashboard-queries.yml');
    const rules = queries.map(
      (q, i) => `      - record: dashboard_query_${i}\n        expr: ${JSON.stringify(q.expr)}`,
    );
    writeFileSync(rulesFile, `groups:\n  - name: dashboard-queries\n    rules:\n${rules.join('\n')}\n`);
    const r = runPromtool(['check', 'rules', rulesFile], root);
    if (!r.ok) {
      const files = [...new Set(queries.map((q) => rel(q.file)))].join(', ');
      problems.push({
        file: files,
        message: 'a dashboard query is not valid PromQL (promtool check rules)',
        detail: r.output,
      });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return problems;
}
