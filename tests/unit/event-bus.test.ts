/** The worker's event bus: typed filters, sync and async handlers, enable/disable, bounded history, transports. */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { AgentEvent } from '../../agents/events';
import { EventBus } from '../../worker/events/event-bus';
import { JsonLinesTransport, transportFromSetting } from '../../worker/events/transports';

const event = (type: AgentEvent['type'], runId = 'r1'): AgentEvent => ({
  type,
  at: new Date().toISOString(),
  runId,
  data: { step: 1 } as never,
});

test('handlers get only the types and runs they filter for', () => {
  const bus = new EventBus();
  const seen: string[] = [];
  bus.subscribe({ types: ['step.started'] }, (e) => void seen.push(`a:${e.type}`));
  bus.subscribe(
    { types: ['step.started', 'step.finished'], where: (e) => e.runId === 'r2' },
    (e) => void seen.push(`b:${e.type}:${e.runId}`),
  );
  bus.subscribe({}, (e) => void seen.push(`all:${e.type}`));
  bus.publish(event('step.started'));
  bus.publish(event('step.finished', 'r2'));
  assert.deepEqual(seen, ['a:step.started', 'all:step.started', 'b:step.finished:r2', 'all:step.finished']);
});

test('unsubscribe, disable and enable', () => {
  const bus = new EventBus();
  let count = 0;
  const id = bus.subscribe({}, () => void count++);
  bus.disable(id);
  bus.publish(event('run.paused'));
  bus.enable(id);
  bus.publish(event('run.paused'));
  assert.equal(bus.unsubscribe(id), true);
  bus.publish(event('run.paused'));
  assert.equal(count, 1);
  assert.equal(bus.subscriberCount, 0);
});

test('a throwing or rejecting handler is reported and does not stop the others', async () => {
  const errors: string[] = [];
  const bus = new EventBus({ onHandlerError: (name, err) => errors.push(`${name}: ${(err as Error).message}`) });
  let reached = 0;
  bus.subscribe({ name: 'sync-bad' }, () => {
    throw new Error('boom');
  });
  bus.subscribe({ name: 'async-bad' }, async () => {
    throw new Error('later');
  });
  bus.subscribe({ name: 'good' }, async () => void reached++);
  assert.doesNotThrow(() => bus.publish(event('run.resumed')));
  await new Promise((r) => setImmediate(r));
  assert.equal(reached, 1);
  assert.deepEqual(errors.sort(), ['async-bad: later', 'sync-bad: boom']);
});

test('history is bounded and ordered oldest first', () => {
  const bus = new EventBus({ historySize: 3 });
  for (const type of ['run.started', 'step.started', 'step.finished', 'run.completed'] as const)
    bus.publish(event(type));
  assert.deepEqual(
    bus.history().map((e) => e.type),
    ['step.started', 'step.finished', 'run.completed'],
  );
  assert.deepEqual(
    bus.history(['run.completed']).map((e) => e.type),
    ['run.completed'],
  );
});

test('JSON lines transport writes every event for another process', async () => {
  const path = join(mkdtempSync(join(tmpdir(), 'bus-')), 'events.jsonl');
  const bus = new EventBus();
  bus.addTransport(new JsonLinesTransport(path));
  bus.publish(event('run.started'));
  bus.publish(event('run.completed'));
  await bus.close();
  assert.deepEqual(
    readFileSync(path, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line).type),
    ['run.started', 'run.completed'],
  );
  assert.throws(() => transportFromSetting('kafka://x'), /AGENT_EVENTS_TRANSPORT/);
});
