/** The measuring tools of bench:compare: heap snapshot reading and diffing, CPU profile attribution, /proc readers. */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { writeHeapSnapshot } from 'node:v8';
import { bundleModules, summarizeCpuProfile } from '../bench/compare/cpu-summary';
import { readHeapSnapshot } from '../bench/compare/heap-snapshot';
import { heapDiff } from '../bench/compare/heap-summary';
import { cpuSeconds, memory } from '../bench/compare/proc';

class BenchCompareMarker {
  constructor(readonly n: number) {}
}

test('heap snapshots are read like JSON.parse reads them, and the diff counts what was allocated per run', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'heap-test-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const before = writeHeapSnapshot(join(dir, 'before.heapsnapshot'));
  const kept = Array.from({ length: 500 }, (_, i) => new BenchCompareMarker(i));
  const after = writeHeapSnapshot(join(dir, 'after.heapsnapshot'));
  assert.equal(kept.length, 500);

  const parsed = JSON.parse(readFileSync(after, 'utf8'));
  const ours = readHeapSnapshot(after);
  assert.equal(ours.nodes.length, parsed.nodes.length);
  assert.deepEqual(Array.from(ours.nodes.subarray(0, 1000)), parsed.nodes.slice(0, 1000));
  assert.deepEqual(Array.from(ours.edges.subarray(-1000)), parsed.edges.slice(-1000));
  assert.equal(ours.strings.length, parsed.strings.length);

  const diff = heapDiff(before, after, 500);
  const marker = diff.rows.find((r) => r.name === 'BenchCompareMarker');
  assert.equal(marker?.countPerRun, 1);
  assert.ok(marker.bytesPerRun > 0);
});

test('CPU profile frames in a workflow bundle are attributed to the bundled module they sit in', () => {
  const bundle = [
    '(() => {',
    '/***/ "./node_modules/zod/v4/core/core.js":',
    'function a() {}',
    '/***/ "./agents/run.ts":',
    'function b() {}',
    '})();',
  ].join('\n');
  assert.deepEqual(bundleModules(bundle), [
    { line: 1, module: './node_modules/zod/v4/core/core.js' },
    { line: 3, module: './agents/run.ts' },
  ]);
  const frame = (id: number, functionName: string, url: string, lineNumber: number) => ({
    id,
    callFrame: { functionName, url, lineNumber, scriptId: '1', columnNumber: 0 },
    children: [],
  });
  const profile = {
    nodes: [
      frame(1, '(root)', '', 0),
      frame(2, 'a', 'workflow-bundle-abc.js', 2),
      frame(3, 'b', 'workflow-bundle-abc.js', 4),
      frame(4, 'parse', 'file:///x/node_modules/protobufjs/src/y.js', 9),
    ],
    // 1 ms per sample: 3 in zod, 1 in agents/, 2 in protobufjs.
    samples: [2, 2, 2, 3, 4, 4],
    startTime: 0,
    endTime: 6000,
  };
  const dir = mkdtempSync(join(tmpdir(), 'cpu-test-'));
  const file = join(dir, 'p.cpuprofile');
  writeFileSync(file, JSON.stringify(profile));
  const text = summarizeCpuProfile(file, 10, bundle);
  assert.match(text, /\| bundle: zod \| 3 \| 50\.0% \|/);
  assert.match(text, /\| bundle: agents\/ \| 1 \| 16\.7% \|/);
  assert.match(text, /\| protobufjs \| 2 \| 33\.3% \|/);
  rmSync(dir, { recursive: true, force: true });
});

test('/proc readers report this process', () => {
  let x = 0;
  for (let i = 0; i < 5e6; i++) x += Math.sqrt(i);
  assert.ok(x > 0);
  assert.ok(cpuSeconds(process.pid) > 0);
  const m = memory(process.pid);
  assert.ok(m.rss > 10e6 && m.hwm >= m.rss);
});
