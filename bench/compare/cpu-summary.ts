/**
 * Where a worker's CPU went: self time per function and per package in a V8 .cpuprofile. Frames in a workflow
 * bundle (one script for every module) are attributed to the bundled module they sit in when the bundle is given.
 *
 * Run: `npx tsx bench/compare/cpu-summary.ts <file.cpuprofile> [top] [workflow-bundle.js]`
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  startTime: number;
  endTime: number;
}

/** First line of each module in a webpack bundle (its header line names the module path), in order. */
export function bundleModules(code: string): { line: number; module: string }[] {
  const out: { line: number; module: string }[] = [];
  code.split('\n').forEach((text, i) => {
    const m = /^\/\*\*\*\/ "(\.\/[^"]+)"/.exec(text);
    if (m) out.push({ line: i, module: m[1] });
  });
  return out;
}

/** The package (or project folder) of the bundled module holding 0-based `line`. */
function bundledPackage(modules: { line: number; module: string }[], line: number): string {
  let lo = 0;
  let hi = modules.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (modules[mid].line <= line) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  if (found < 0) return 'bundle: webpack runtime';
  const path = modules[found].module;
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)?.[1];
  return `bundle: ${pkg ?? path.replace(/^\.\//, '').replace(/\/[^/]+$/, '/')}`;
}

/** node_modules package, our folder, Node itself, or V8's own categories ((garbage collector), (program), ...). */
function packageOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return nm[1];
  if (url.startsWith('node:')) return 'node internals';
  const ours = /temporal-agents|\/work\/[^/]+\/[^/]+\/([a-z-]+)\//.exec(url);
  if (ours?.[1]) return `project ${ours[1]}/`;
  return url.replace(/^.*\//, '');
}

export function summarizeCpuProfile(path: string, top = 20, bundleCode?: string): string {
  const modules = bundleCode ? bundleModules(bundleCode) : [];
  const profile = JSON.parse(readFileSync(path, 'utf8')) as Profile;
  const usPerSample = (profile.endTime - profile.startTime) / Math.max(1, profile.samples.length);
  const hits = new Map<number, number>();
  for (const id of profile.samples) hits.set(id, (hits.get(id) ?? 0) + 1);
  const byFunction = new Map<string, number>();
  const byPackage = new Map<string, number>();
  let total = 0;
  for (const node of profile.nodes) {
    const n = hits.get(node.id) ?? 0;
    if (!n) continue;
    const ms = (n * usPerSample) / 1000;
    total += ms;
    const { functionName, url, lineNumber } = node.callFrame;
    const fn =
      `${functionName || '(anonymous)'} ${url ? `${url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/(?=[^/]+\/[^/]+$)/, '')}:${lineNumber + 1}` : ''}`.trim();
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + ms);
    const pkg =
      modules.length && /workflow-bundle/.test(url)
        ? bundledPackage(modules, lineNumber)
        : packageOf(url, functionName);
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + ms);
  }
  const table = (m: Map<string, number>) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, ms]) => `| ${k.replace(/\|/g, '\\|')} | ${ms.toFixed(0)} | ${((100 * ms) / total).toFixed(1)}% |`)
      .join('\n');
  return (
    `${path}: ${(total / 1000).toFixed(1)} s sampled\n\n| package / category | ms self | share |\n|---|---|---|\n${table(byPackage)}\n\n` +
    `| function | ms self | share |\n|---|---|---|\n${table(byFunction)}`
  );
}

if (require.main === module) {
  const [path, top, bundle] = process.argv.slice(2);
  if (!path) {
    console.error('usage: cpu-summary.ts <file.cpuprofile> [top] [workflow-bundle.js]');
    process.exit(2);
  }
  console.log(summarizeCpuProfile(path, Number(top ?? 20), bundle ? readFileSync(bundle, 'utf8') : undefined));
}
