/**
 * Reading docker-compose.yml: YAML as Compose reads it (anchors, `<<` merges), the Compose schema, and the few
 * lookups our checks need (a service's environment, where a container path is bind-mounted from).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { checkComposeSchema } from './compose-schema';
import type { Problem } from './problem';

export type Obj = Record<string, unknown>;
export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
export const asObj = (v: unknown): Obj => (isObj(v) ? v : {});
export const asArray = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
export const str = (v: unknown): string | undefined =>
  typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined;

/** Parses YAML the way Compose does (anchors, aliases and `<<` merge keys). */
export function parseYamlText(text: string): unknown {
  return parseYaml(text, { merge: true, maxAliasCount: -1 });
}

export interface ComposeFile {
  /** Repo root: bind-mount sources resolve against it. */
  root: string;
  /** File name used in messages, relative to root. */
  file: string;
  doc: Obj;
  services: Map<string, Obj>;
}

/** A parsed compose document; `problems` gets the Compose schema's findings. */
export function composeFileOf(
  doc: unknown,
  root: string,
  problems: Problem[],
  file = 'docker-compose.yml',
): ComposeFile {
  problems.push(...checkComposeSchema(doc, file));
  const services = new Map<string, Obj>();
  for (const [name, svc] of Object.entries(asObj(asObj(doc).services))) services.set(name, asObj(svc));
  return { root: path.resolve(root), file, doc: asObj(doc), services };
}

/** Reads and checks a compose file; undefined (with a problem) when it is not YAML. */
export function readComposeFile(composePath: string, problems: Problem[]): ComposeFile | undefined {
  const file = path.basename(composePath);
  let doc: unknown;
  try {
    doc = parseYamlText(readFileSync(composePath, 'utf8'));
  } catch (err) {
    problems.push({ file, message: `cannot read/parse: ${(err as Error).message.split('\n')[0]}` });
    return undefined;
  }
  return composeFileOf(doc, path.dirname(path.resolve(composePath)), problems, file);
}

/**
 * A value as Compose resolves it with no variables set, i.e. the shipped defaults: `${NAME:-default}` and
 * `${NAME-default}` become their default, other `${NAME...}` forms and `$NAME` become empty (Compose would refuse
 * `${NAME:?err}`), `$$` is a literal `$`. Nested defaults are not expanded.
 */
export function withDefaults(value: string): string {
  return value.replace(/\$(?:\$|\{\w+(?:(:?[-?+])([^}]*))?\}|\w+)/g, (match, op?: string, arg?: string) =>
    match === '$$' ? '$' : op?.endsWith('-') ? (arg ?? '') : '',
  );
}

/** Environment as a map with defaults applied; `undefined` means "declared without a value" (host's passed through). */
export function environmentOf(service: Obj): Map<string, string | undefined> {
  const env = new Map<string, string | undefined>();
  const raw = service.environment;
  const set = (key: string, value: string | undefined) =>
    env.set(key, value === undefined ? undefined : withDefaults(value));
  if (Array.isArray(raw)) {
    for (const item of raw.map(str)) {
      if (item === undefined) continue;
      const eq = item.indexOf('=');
      if (eq < 0) set(item, undefined);
      else set(item.slice(0, eq), item.slice(eq + 1));
    }
  } else {
    for (const [k, v] of Object.entries(asObj(raw))) set(k, str(v));
  }
  return env;
}

/** Names of the services a service depends on (list or map form). */
export function dependenciesOf(service: Obj): string[] {
  const raw = service.depends_on;
  return Array.isArray(raw) ? raw.map(String) : Object.keys(asObj(raw));
}

/** Bind mounts of a service as container path -> repo path, longest container path first. */
function bindMounts(service: Obj, root: string): { target: string; source: string }[] {
  const out: { target: string; source: string }[] = [];
  for (const entry of asArray(service.volumes)) {
    // Short syntax "source:target[:mode]"; a bind source is a path (./x, ../x, /x), not a volume name.
    const [source, target] = isObj(entry)
      ? [entry.type === 'bind' ? str(entry.source) : undefined, str(entry.target)]
      : (str(entry) ?? '').split(':');
    if (source && target && /^(\.{1,2}(\/|$)|\/)/.test(source)) {
      out.push({ target: path.posix.normalize(target), source: path.resolve(root, source) });
    }
  }
  return out.sort((a, b) => b.target.length - a.target.length);
}

/** Maps a path inside a service's container to the repo through its bind mounts; undefined when not mounted. */
export function hostPathOf(containerPath: string, service: Obj, root: string): string | undefined {
  const p = path.posix.normalize(containerPath);
  for (const m of bindMounts(service, root)) {
    if (p === m.target) return m.source;
    if (p.startsWith(`${m.target}/`)) return path.join(m.source, p.slice(m.target.length + 1));
  }
  return undefined;
}

/** The service running an image whose name starts with `imagePrefix` (e.g. `prom/prometheus`). */
export function findService(compose: ComposeFile, imagePrefix: string): [string, Obj] | undefined {
  for (const [name, svc] of compose.services) if ((str(svc.image) ?? '').startsWith(imagePrefix)) return [name, svc];
  return undefined;
}

/** Reads a YAML file of the repo; a parse error becomes a problem and the result undefined. */
export function loadYamlFile(file: string, root: string, problems: Problem[]): unknown {
  try {
    return parseYamlText(readFileSync(file, 'utf8'));
  } catch (err) {
    problems.push({
      file: path.relative(root, file),
      message: `cannot parse YAML: ${(err as Error).message.split('\n')[0]}`,
    });
    return undefined;
  }
}
