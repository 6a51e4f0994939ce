/**
 * Preloaded into a bench worker process (NODE_OPTIONS=--require) when profiling, with BENCH_PROFILE_OUT (a folder),
 * BENCH_PROFILE_TAG and BENCH_PROFILE_KIND (`cpu` or `heap`; separate runs, so a snapshot's cost is not profiled):
 * - cpu: worker threads (Temporal runs workflows in one) start with --cpu-prof into <out>/cpu-<tag>/ (written when
 *   the thread ends); the main thread is profiled through the inspector from load on, and on SIGWINCH its profile so
 *   far goes to <out>/cpu-<tag>/main-<n>.cpuprofile;
 * - heap: on SIGWINCH a heap snapshot of every worker thread and of the main thread is written.
 * Either way the hook then prints "profiles written: <files>". SIGWINCH, not SIGUSR2: Temporal's Runtime shuts the worker
 * down on SIGUSR2.
 * Plain CommonJS so it loads before tsx. (--cpu-prof itself is not allowed in NODE_OPTIONS.)
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const v8 = require('node:v8');
const inspector = require('node:inspector');
const { pipeline } = require('node:stream/promises');
const threads = require('node:worker_threads');

const out = process.env.BENCH_PROFILE_OUT;
if (threads.isMainThread && out) {
  const tag = process.env.BENCH_PROFILE_TAG || 'profile';
  const cpu = process.env.BENCH_PROFILE_KIND === 'cpu';
  const cpuDir = path.join(out, `cpu-${tag}`);
  if (cpu) fs.mkdirSync(cpuDir, { recursive: true });
  const workers = new Set();
  const NodeWorker = threads.Worker;
  // The SDK reads `Worker` off the module when it starts its workflow threads, so this sees them.
  threads.Worker = class TrackedWorker extends NodeWorker {
    constructor(file, options = {}) {
      const profiling = cpu ? ['--cpu-prof', `--cpu-prof-dir=${cpuDir}`] : [];
      super(file, { ...options, execArgv: [...(options.execArgv || process.execArgv), ...profiling] });
      workers.add(this);
      this.once('exit', () => workers.delete(this));
    }
  };
  const session = new inspector.Session();
  session.connect();
  const post = (method, params) =>
    new Promise((resolve, reject) => session.post(method, params, (err, res) => (err ? reject(err) : resolve(res))));
  const started = cpu ? post('Profiler.enable').then(() => post('Profiler.start')) : undefined;
  let seq = 0;
  process.on('SIGWINCH', async () => {
    const n = ++seq;
    const files = [];
    try {
      if (cpu) {
        await started;
        const { profile } = await post('Profiler.stop');
        const file = path.join(cpuDir, `main-${n}.cpuprofile`);
        fs.writeFileSync(file, JSON.stringify(profile));
        files.push(file);
        await post('Profiler.start');
        console.log(`profiles written: ${files.join(' ')}`);
        return;
      }
      for (const w of workers) {
        const file = path.join(out, `${tag}-${n}-thread${w.threadId}.heapsnapshot`);
        await pipeline(await w.getHeapSnapshot(), fs.createWriteStream(file));
        files.push(file);
      }
      files.push(v8.writeHeapSnapshot(path.join(out, `${tag}-${n}-main.heapsnapshot`)));
      console.log(`profiles written: ${files.join(' ')}`);
    } catch (err) {
      console.log(`profiles failed: ${String(err && err.stack).replace(/\n/g, ' ')}`);
    }
  });
}
