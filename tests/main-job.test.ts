/** The README's first command end to end: setup, dev server with Web UI, worker with metrics, and the demo. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { killLeftovers, runStartScript } from './helpers/start-script';

test(
  'scripts/start.sh runs every template and a pause/resume, with UI and metrics up, and leaves no process behind',
  { timeout: 240_000 },
  async () => {
    const run = await runStartScript({ EXIT_AFTER_DEMO: '1' });
    const { code, seen, left, workerLog } = await run.exited;
    killLeftovers(left);
    const stdout = run.output();
    assert.equal(code, 0, stdout);
    for (const title of ['== chat', '== react', '== structured', '== pause/resume'])
      assert.ok(stdout.includes(title), `demo output lacks "${title}":\n${stdout}`);
    assert.match(stdout, new RegExp(`Web UI answering at http://localhost:${run.uiPort}`));
    assert.match(stdout, /worker ready: [1-9]\d* metric samples/);
    assert.match(stdout, /SCRIPTED model/);
    assert.match(stdout, /answer: The answer is 84\./);
    assert.match(stdout, /paused after step (\d+)\n\s+2 s later: status paused, step \1/);
    assert.match(stdout, new RegExp(`http://localhost:${run.uiPort}/namespaces/default/workflows/run-`));
    assert.match(stdout, /pause\/resume result.*\n\s+status completed/);

    // Every process it started is gone, the worker itself among them, and the worker stopped gracefully.
    assert.ok(
      seen.some((p) => /worker\/main\.ts/.test(p.command)),
      `the worker was seen: ${seen.map((p) => p.command).join('; ')}`,
    );
    assert.ok(
      seen.some((p) => /temporal server start-dev/.test(p.command)),
      'the dev server was seen',
    );
    assert.deepEqual(
      left.map((p) => `${p.pid} ${p.command}`),
      [],
      'processes left behind',
    );
    assert.match(workerLog, /^worker stopped$/m);
  },
);
