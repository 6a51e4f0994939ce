/** The Grafana service: provisioning mounted from the repo, datasources pointing at services, dashboards parsing. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { asArray, asObj, findService, hostPathOf, loadYamlFile, str, type ComposeFile, type Obj } from './compose-file';
import type { Problem } from './problem';

export interface Dashboard {
  file: string;
  json: Obj;
}

const yamlIn = (dir: string) =>
  existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => /\.ya?ml$/.test(f))
        .sort()
        .map((f) => path.join(dir, f))
    : [];

export function checkGrafana(compose: ComposeFile): { problems: Problem[]; dashboards: Dashboard[] } {
  const { file, root, services } = compose;
  const problems: Problem[] = [];
  const dashboards: Dashboard[] = [];
  const found = findService(compose, 'grafana/grafana');
  if (!found) {
    problems.push({ file, where: 'services', message: 'no grafana/grafana service' });
    return { problems, dashboards };
  }
  const [name, svc] = found;
  const provisioning = hostPathOf('/etc/grafana/provisioning', svc, root);
  if (!provisioning || !existsSync(provisioning)) {
    problems.push({
      file,
      where: `services.${name}.volumes`,
      message: '/etc/grafana/provisioning is not mounted from the repo',
    });
    return { problems, dashboards };
  }
  const rel = (f: string) => path.relative(root, f);

  const datasourceUids = new Set<string>();
  const dsFiles = yamlIn(path.join(provisioning, 'datasources'));
  if (dsFiles.length === 0)
    problems.push({ file: rel(provisioning), message: 'no datasource provisioning under datasources/' });
  for (const f of dsFiles) {
    for (const d of asArray(asObj(loadYamlFile(f, root, problems)).datasources).map(asObj)) {
      const uid = str(d.uid);
      if (uid) datasourceUids.add(uid);
      const host = /^\w+:\/\/([^:/]+)/.exec(str(d.url) ?? '')?.[1];
      if (!host) problems.push({ file: rel(f), where: str(d.name), message: 'datasource has no URL' });
      else if (!services.has(host))
        problems.push({ file: rel(f), where: str(d.name), message: `datasource URL host "${host}" is not a service` });
    }
  }

  const providerFiles = yamlIn(path.join(provisioning, 'dashboards'));
  if (providerFiles.length === 0)
    problems.push({ file: rel(provisioning), message: 'no dashboard provisioning under dashboards/' });
  for (const f of providerFiles) {
    for (const p of asArray(asObj(loadYamlFile(f, root, problems)).providers)) {
      const containerDir = str(asObj(asObj(p).options).path);
      const hostDir = containerDir ? hostPathOf(containerDir, svc, root) : undefined;
      if (!hostDir || !existsSync(hostDir)) {
        problems.push({ file: rel(f), message: `dashboard path ${containerDir} is not mounted from the repo` });
        continue;
      }
      const jsonFiles = readdirSync(hostDir)
        .filter((n) => n.endsWith('.json'))
        .sort();
      if (jsonFiles.length === 0) problems.push({ file: rel(hostDir), message: 'no dashboard JSON' });
      for (const n of jsonFiles) {
        const full = path.join(hostDir, n);
        let json: Obj;
        try {
          json = asObj(JSON.parse(readFileSync(full, 'utf8')));
        } catch (err) {
          problems.push({ file: rel(full), message: `invalid JSON: ${(err as Error).message}` });
          continue;
        }
        if (!str(json.uid) || !str(json.title))
          problems.push({ file: rel(full), message: 'dashboard needs a uid and a title' });
        for (const panel of panelsOf(json)) {
          const uid = str(asObj(panel.datasource).uid);
          if (uid && !uid.startsWith('$') && !datasourceUids.has(uid)) {
            problems.push({
              file: rel(full),
              where: `panel "${str(panel.title)}"`,
              message: `datasource uid "${uid}" is not provisioned`,
            });
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
    for (const p of asArray(list).map(asObj)) {
      out.push(p);
      walk(p.panels);
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
