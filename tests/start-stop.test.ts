/**
 * `scripts/start.sh` interrupted (Ctrl-C, SIGTERM; mid-demo or after it) or failing: it exits, the worker drains
 * and stops gracefully, and no process it started remains. (The demo run to its end: tests/main-job.test.ts.)
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { killLeftovers, runStartScript } from './helpers/start-script';

async function interruptMidDemo(
  send: (pid: number) => void,
): Promise<{ code: number | null; output: string; workerLog: string }> {
  // EXIT_AFTER_DEMO too, so a signal that is not acted on shows as a demo run to its end, not as a hang.
  const run = await runStartScript({ EXIT_AFTER_DEMO: '1' });
  try {
    await run.waitFor('== chat');
  } catch (err) {
    killLeftovers((await run.exited).left);
    throw err;
  }
  send(run.pid);
  const { code, seen, left, workerLog } = await run.exited;
  killLeftovers(left);
  const output = run.output();
  assert.ok(
    seen.some((p) => /worker\/main\.ts/.test(p.command)),
    'the worker was seen',
  );
  assert.deepEqual(
    left.map((p) => `${p.pid} ${p.command}`),
    [],
    `processes left behind; output:\n${output}`,
  );
  assert.ok(!output.includes('== pause/resume result'), `the demo was cut short:\n${output}`);
  return { code, output, workerLog };
}

test(
  'Ctrl-C (SIGINT to its process group) mid-demo: start.sh exits, the worker drains, nothing remains',
  { timeout: 240_000 },
  async () => {
    const { code, output, workerLog } = await interruptMidDemo((pid) => process.kill(-pid, 'SIGINT'));
    assert.equal(code, 130, output);
    assert.match(output, /\[start\] stopped/);
    assert.match(workerLog, /"state":"DRAINED"/);
    assert.match(workerLog, /^worker stopped$/m);
  },
);

test(
  'SIGTERM to start.sh alone mid-demo: it exits, the worker drains, nothing remains',
  { timeout: 240_000 },
  async () => {
    const { code, output, workerLog } = await interruptMidDemo((pid) => process.kill(pid, 'SIGTERM'));
    assert.equal(code, 143, output);
    assert.match(output, /\[start\] stopped/);
    assert.match(workerLog, /"state":"DRAINED"/);
    assert.match(workerLog, /^worker stopped$/m);
  },
);

test(
  'a failed step (the worker refuses its settings): start.sh exits 1 and stops the dev server it started',
  { timeout: 240_000 },
  async () => {
    const run = await runStartScript({ EXIT_AFTER_DEMO: '1', AGENT_MAX_CONCURRENT_ACTIVITIES: 'lots' });
    // A wait for what never comes says why: the worker log's last lines are in the error.
    await assert.rejects(run.waitFor('== chat'), /worker\.log, last lines:\n[\s\S]*Invalid worker settings/);
    const { code, seen, left, workerLog } = await run.exited;
    killLeftovers(left);
    const output = run.output();
    assert.equal(code, 1, output);
    assert.match(output, /\[start\] worker failed/);
    assert.ok(
      seen.some((p) => /temporal server start-dev/.test(p.command)),
      'the dev server was seen',
    );
    assert.deepEqual(
      left.map((p) => `${p.pid} ${p.command}`),
      [],
      `processes left behind; output:\n${output}`,
    );
    assert.match(workerLog, /worker failed: Invalid worker settings: AGENT_MAX_CONCURRENT_ACTIVITIES/);
  },
);

test(
  'Ctrl-C once the demo is done and start.sh keeps running: it exits, the worker drains, nothing remains',
  { timeout: 240_000 },
  async () => {
    const run = await runStartScript();
    try {
      await run.waitFor('[start] running.');
    } catch (err) {
      killLeftovers((await run.exited).left);
      throw err;
    }
    process.kill(-run.pid, 'SIGINT');
    const { code, seen, left, workerLog } = await run.exited;
    killLeftovers(left);
    const output = run.output();
    assert.equal(code, 130, output);
    assert.ok(
      seen.some((p) => /worker\/main\.ts/.test(p.command)),
      'the worker was seen',
    );
    assert.deepEqual(
      left.map((p) => `${p.pid} ${p.command}`),
      [],
      `processes left behind; output:\n${output}`,
    );
    assert.match(workerLog, /^worker stopped$/m);
  },
);
