/** The README's first command end to end: setup, dev server with Web UI, worker with metrics, and the demo. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { freePort } from '../testing/dev-server';
import { projectRoot } from '../testing/paths';

test('scripts/start.sh runs every template and a pause/resume, with UI and metrics up', async () => {
  const [temporalPort, uiPort, metricsPort] = [await freePort(), await freePort(), await freePort()];
  const dataDir = mkdtempSync(join(tmpdir(), 'agents-main-'));
  const { stdout } = await promisify(execFile)('bash', ['scripts/start.sh'], {
    cwd: projectRoot,
    env: { ...process.env, EXIT_AFTER_DEMO: '1', TEMPORAL_PORT: String(temporalPort), UI_PORT: String(uiPort), METRICS_PORT: String(metricsPort), DATA_DIR: dataDir, OPENAI_API_KEY: '', ANTHROPIC_API_KEY: '' },
    timeout: 240_000,
  });
  for (const title of ['== chat', '== react', '== structured', '== pause/resume']) assert.ok(stdout.includes(title), `demo output lacks "${title}":\n${stdout}`);
  assert.match(stdout, new RegExp(`Web UI answering at http://localhost:${uiPort}`));
  assert.match(stdout, /worker ready: [1-9]\d* metric samples/);
  assert.match(stdout, /SCRIPTED model/);
  assert.match(stdout, /answer: The answer is 84\./);
  assert.match(stdout, /paused after step (\d+)\n\s+2 s later: status paused, step \1/);
  assert.match(stdout, new RegExp(`http://localhost:${uiPort}/namespaces/default/workflows/run-`));
  assert.match(stdout, /pause\/resume result.*\n\s+status completed/);
});
