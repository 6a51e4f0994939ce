/** The workflow bundle: prebuilt by `npm run build:workflow`, rebuilt when `workflows/` or `agents/` changed since. */
import { bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { existsSync, readdirSync, readFileSync, statSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';

/** The folder with our package.json: the checkout, or the installed package when this runs compiled from build/. */
function findProjectRoot(from: string): string {
  for (let dir = from; dirname(dir) !== dir; dir = dirname(dir)) if (existsSync(join(dir, 'package.json'))) return dir;
  return dirname(from);
}

export const projectRoot = findProjectRoot(join(__dirname, '..'));
/** A workflow module: its TypeScript source in a checkout, else the compiled JavaScript next to this file. */
const workflowModule = (name: string) => {
  const source = join(projectRoot, 'workflows', `${name}.ts`);
  return existsSync(source) ? source : join(__dirname, '..', 'workflows', `${name}.js`);
};
export const workflowsPath = workflowModule('index');
/**
 * Every workflow module but the entry: evaluated once per sandbox context and shared by all the workflows it runs,
 * instead of once per workflow (the SDK's `preloadModules`; the SDK freezes what they export). So a run's start costs
 * no module evaluation and a cached run holds none of its modules' top level. Safe because these modules keep no
 * state of their own at module level (tests/unit/shared-workflow-modules.test.ts checks); a workflow's state lives in
 * the objects its workflow function makes.
 */
export function sharedWorkflowModules(): string[] {
  const dir = dirname(workflowsPath);
  const ext = extname(workflowsPath); // .ts in a checkout, .js when installed
  return readdirSync(dir)
    .filter((file) => /^[a-z-]+\.[jt]s$/.test(file) && file.endsWith(ext) && file !== `index${ext}`)
    .map((file) => join(dir, file));
}
export const workflowInterceptorsPath = workflowModule('interceptors');
export const defaultBundlePath = join(projectRoot, 'dist', 'workflow-bundle.js');
// An installed package ships no sources: its prebuilt bundle is the one to use.
const sourceDirs = ['workflows', 'agents'].map((dir) => join(projectRoot, dir));

function newestSourceMtime(dir: string): number {
  let newest = 0;
  if (!existsSync(dir)) return newest;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSourceMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

export async function buildWorkflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({
    workflowsPath,
    workflowInterceptorModules: [workflowInterceptorsPath],
    preloadModules: sharedWorkflowModules(),
    logger: quietLogger,
  });
}

/** Writes the bundle to `path`; used by `npm run build:workflow` and setup. */
export async function writeWorkflowBundle(path = defaultBundlePath): Promise<void> {
  const { code } = await buildWorkflowBundle();
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, code);
}

/** The prebuilt bundle when it is newer than every source it was built from, else a fresh one. */
export async function loadWorkflowBundle(path = defaultBundlePath): Promise<{ code: string }> {
  if (existsSync(path)) {
    const bundleMtime = statSync(path).mtimeMs;
    if (sourceDirs.every((dir) => newestSourceMtime(dir) <= bundleMtime)) return { code: readFileSync(path, 'utf8') };
  }
  const { code } = await buildWorkflowBundle();
  return { code };
}

const quietLogger = {
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: (message: string, meta?: unknown) => console.warn(message, meta ?? ''),
  error: (message: string, meta?: unknown) => console.error(message, meta ?? ''),
  log: () => undefined,
};
