/**
 * bench:compare's LangGraph.js process (one per measurement, so its RSS is its own). Prints one JSON line.
 *   bench:  LG_SEQ_RUNS sequential runs, then LG_RUNS runs at LG_CONCURRENCY: { latencyMs, runsPerSecond, peakRss, failed }
 *   start:  starts thread LG_THREAD and waits (the bench SIGKILLs it mid-run)
 *   resume: continues thread LG_THREAD from its checkpoint: { answer }
 * Always: LG_STUB_URL, LG_CHECKPOINT (SQLite file), LG_ROUNDS.
 */
import { randomUUID } from 'node:crypto';
import { buildLangGraphAgent, langGraphInput } from './langgraph-agent';
import { median, pool } from './pool';
import { memory } from './proc';

const env = (name: string) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
};

const task = 'Count with the calculator, then answer.';

async function main(): Promise<void> {
  const mode = process.argv[2];
  const common = {
    stubUrl: env('LG_STUB_URL'),
    checkpointPath: env('LG_CHECKPOINT'),
    rounds: Number(env('LG_ROUNDS')),
  };
  const answerOf = (state: { messages: { content: unknown }[] }) => String(state.messages.at(-1)?.content ?? '');
  const check = (answer: string) => {
    if (!answer.includes(`Done after ${common.rounds} tool calls`))
      throw new Error(`unexpected answer: ${answer.slice(0, 200)}`);
  };
  if (mode === 'bench') {
    const agent = buildLangGraphAgent(common);
    const runOnce = async () =>
      check(answerOf(await agent.invoke(langGraphInput(task), { configurable: { thread_id: randomUUID() } })));
    await pool([1, 2, 3], 3, runOnce);
    const latencies: number[] = [];
    for (let i = 0; i < Number(env('LG_SEQ_RUNS')); i++) {
      const t0 = performance.now();
      await runOnce();
      latencies.push(performance.now() - t0);
    }
    const runs = Number(env('LG_RUNS'));
    let failed = 0;
    const t0 = performance.now();
    await pool(Array.from({ length: runs }), Number(env('LG_CONCURRENCY')), () => runOnce().catch(() => void failed++));
    const seconds = (performance.now() - t0) / 1000;
    console.log(
      JSON.stringify({
        latencyMs: median(latencies),
        runsPerSecond: (runs - failed) / seconds,
        peakRss: memory(process.pid).hwm,
        failed,
      }),
    );
  } else if (mode === 'start') {
    const thread = env('LG_THREAD');
    const agent = buildLangGraphAgent({ ...common, runHeader: thread });
    await agent.invoke(langGraphInput(task), { configurable: { thread_id: thread } });
    console.log(JSON.stringify({ finished: true }));
  } else if (mode === 'resume') {
    const thread = env('LG_THREAD');
    const agent = buildLangGraphAgent({ ...common, runHeader: thread });
    // null input: continue from the thread's last checkpoint.
    const state = await agent.invoke(null, { configurable: { thread_id: thread } });
    console.log(JSON.stringify({ answer: answerOf(state) }));
  } else {
    throw new Error(`unknown mode ${mode}`);
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
