/** A workflow bundle newer than the workflow sources, so worker processes load it instead of each building one. */
import { existsSync, mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultBundlePath, writeWorkflowBundle } from '../worker/workflow-bundle';
import { projectRoot } from './paths';

let fresh: Promise<string> | undefined;

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** `dist/workflow-bundle.js` if it is up to date, else a bundle built once per process into a temp file. Pass it as `WORKFLOW_BUNDLE`. */
export function freshWorkflowBundle(): Promise<string> {
  fresh ??= (async () => {
    const sources = Math.max(...['workflows', 'agents'].map((d) => newestMtime(join(projectRoot, d))));
    if (existsSync(defaultBundlePath) && statSync(defaultBundlePath).mtimeMs >= sources) return defaultBundlePath;
    const path = join(mkdtempSync(join(tmpdir(), 'agents-bundle-')), 'workflow-bundle.js');
    await writeWorkflowBundle(path);
    return path;
  })();
  return fresh;
}
