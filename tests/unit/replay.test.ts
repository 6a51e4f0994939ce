/** Replays recorded histories against today's workflow code: a nondeterministic change fails here. */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Worker } from '@temporalio/worker';
import { EventBus } from '../../worker/events/event-bus';
import { agentSinks } from '../../worker/sinks';
import { loadWorkflowBundle } from '../../worker/workflow-bundle';
import '../../testing/environment';

const dir = join(__dirname, '..', 'histories');
const files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();

test('recorded histories exist for every scenario', () => {
  for (const scenario of ['chat', 'react', 'structured-repair', 'output-invalid', 'pause-resume', 'stopped', 'cancelled', 'continued', 'rate-limit-wait', 'quota-pause']) {
    assert.ok(files.some((f) => f.endsWith(`-${scenario}.json`)), `no recorded history for ${scenario}`);
  }
});

test('every recorded history replays without nondeterminism', async () => {
  const histories = files.map((file) => ({ workflowId: file, history: JSON.parse(readFileSync(join(dir, file), 'utf8')) }));
  // Sinks are not called on replay: replaying must publish nothing.
  const bus = new EventBus();
  let published = 0;
  bus.subscribe({}, () => void published++);
  const failures: string[] = [];
  let replayed = 0;
  for await (const result of Worker.runReplayHistories({ workflowBundle: await loadWorkflowBundle(), sinks: agentSinks(bus) }, histories)) {
    replayed++;
    if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
  }
  assert.equal(replayed, files.length);
  assert.deepEqual(failures, []);
  assert.equal(published, 0, 'replay published events: they would be counted twice');
});
