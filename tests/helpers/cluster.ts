/**
 * scripts/cluster.sh from tests: run its commands without blocking the event loop (the test's own LLM stub
 * keeps answering meanwhile), find a free block of ports, and a copy of our alert rules with short `for:`.
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml, stringify } from 'yaml';
import { projectRoot } from '../../testing/paths';
import { portIsFree } from '../../worker/free-port';

export interface CommandResult {
  code: number | null;
  stdout: string;
  stderr: string;
  seconds: number;
}

/** `bash scripts/cluster.sh ...args` with `env` over this process's environment; rejects on a non-zero exit. */
export function cluster(args: string[], env: Record<string, string>, timeoutMs = 600_000): Promise<CommandResult> {
  return run('bash', [join(projectRoot, 'scripts', 'cluster.sh'), ...args], env, timeoutMs);
}

/** Runs a command to its end; rejects with its output on a non-zero exit or after `timeoutMs`. */
export function run(
  command: string,
  args: string[],
  env: Record<string, string>,
  timeoutMs: number,
  allowFailure = false,
): Promise<CommandResult> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: projectRoot,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('close', (code) => {
      clearTimeout(timer);
      const result = { code, stdout, stderr, seconds: (Date.now() - started) / 1000 };
      if (code === 0 || allowFailure) resolve(result);
      else
        reject(
          new Error(
            `${command} ${args.join(' ')} exited with ${code} after ${result.seconds} s:\n${stdout}\n${stderr}`,
          ),
        );
    });
  });
}

/** A base port with `count` free ports from it (the cluster uses base .. base + 17). */
export async function freePortBase(count = 18): Promise<number> {
  for (let tries = 0; tries < 50; tries++) {
    // Temporal stores membership ports as a PostgreSQL smallint: every port must stay below 32768.
    const base = 20_000 + Math.floor(Math.random() * 12_000);
    const free = await Promise.all(Array.from({ length: count }, (_, i) => portIsFree(base + i)));
    if (free.every(Boolean)) return base;
  }
  throw new Error(`no ${count} consecutive free ports found`);
}

/**
 * deploy/prometheus/rules/agents.rules.yml with every `for:` set to `holdFor`, written into `dir`: the same
 * expressions on live data, without waiting minutes for an alert to fire. Returns the file's path.
 */
export function shortForRules(dir: string, holdFor: string): string {
  const rules = parseYaml(readFileSync(join(projectRoot, 'deploy', 'prometheus', 'rules', 'agents.rules.yml'), 'utf8'));
  for (const group of rules.groups) for (const rule of group.rules) if (rule.for) rule.for = holdFor;
  const path = join(dir, 'agents.rules.yml');
  writeFileSync(path, stringify(rules));
  return path;
}

export interface PrometheusAlert {
  labels: Record<string, string>;
  state: 'pending' | 'firing';
}

export async function prometheusAlerts(url: string): Promise<PrometheusAlert[]> {
  const body = (await (await fetch(`${url}/api/v1/alerts`)).json()) as { data: { alerts: PrometheusAlert[] } };
  return body.data.alerts;
}
