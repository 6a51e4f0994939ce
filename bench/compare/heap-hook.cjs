/**
 * Preloaded into a bench worker process (NODE_OPTIONS=--require) when profiling: on SIGUSR2, writes a heap
 * snapshot of every worker thread (Temporal runs workflows in one) and of the main thread into
 * BENCH_HEAP_SNAPSHOT_DIR, then prints "heap snapshots written: <files>". Plain CommonJS so it loads before tsx.
 */
'use strict';
const { writeFileSync } = require('node:fs');
const fs = require('node:fs');
const path = require('node:path');
const v8 = require('node:v8');
const { pipeline } = require('node:stream/promises');
const threads = require('node:worker_threads');

if (threads.isMainThread && process.env.BENCH_HEAP_SNAPSHOT_DIR) {
  const dir = process.env.BENCH_HEAP_SNAPSHOT_DIR;
  const tag = process.env.BENCH_HEAP_SNAPSHOT_TAG || 'heap';
  const workers = new Set();
  const NodeWorker = threads.Worker;
  // The SDK reads `Worker` off the module when it starts its workflow threads, so this sees them.
  threads.Worker = class TrackedWorker extends NodeWorker {
    constructor(...args) {
      super(...args);
      workers.add(this);
      this.once('exit', () => workers.delete(this));
    }
  };
  let seq = 0;
  process.on('SIGUSR2', async () => {
    const n = ++seq;
    const files = [];
    try {
      for (const w of workers) {
        const file = path.join(dir, `${tag}-${n}-thread${w.threadId}.heapsnapshot`);
        await pipeline(await w.getHeapSnapshot(), fs.createWriteStream(file));
        files.push(file);
      }
      files.push(v8.writeHeapSnapshot(path.join(dir, `${tag}-${n}-main.heapsnapshot`)));
      console.log(`heap snapshots written: ${files.join(' ')}`);
    } catch (err) {
      writeFileSync(path.join(dir, `${tag}-${n}-error.txt`), String(err && err.stack));
      console.log(`heap snapshots failed: ${err}`);
    }
  });
}
