/**
 * Limits at full size: a 1,000-step run and a 10,000-turn session finish on one worker without reaching
 * Temporal's history limits (they continue as new), with the figures printed: time, steps or turns per second,
 * continuations, events and bytes per run of the chain, memory. tests/limits.test.ts checks the same at CI size.
 *
 * Run: `npm run bench:limits`. Settings: BENCH_STEPS (default 1000), BENCH_TURNS (10000; 0 skips the session),
 * BENCH_TURN_CONCURRENCY (messages in flight, default 1; with more the session is never idle and still continues
 * as new: it refuses messages with `SessionContinuing` meanwhile, and the client sends them again).
 */
import { SessionManager, type TurnReply } from '../client';
import { agentClient, inProcessWorker, startDevEnvironment, uniqueTaskQueue } from '../testing/environment';
import { chainFigures, historyChain } from '../testing/history-chain';

const steps = Number(process.env.BENCH_STEPS ?? 1000);
const turns = Number(process.env.BENCH_TURNS ?? 10_000);
const concurrency = Number(process.env.BENCH_TURN_CONCURRENCY ?? 1);

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

async function main(): Promise<void> {
  const env = await startDevEnvironment();
  const taskQueue = uniqueTaskQueue('limits-bench');
  const worker = await inProcessWorker(env, taskQueue);
  const running = worker.run();
  try {
    if (steps > 0) {
      const started = Date.now();
      const handle = await agentClient(env, taskQueue).start({
        runId: `bench-${steps}-steps`,
        template: 'react',
        input: { task: 'count', maxSteps: steps },
        model: `scripted:auto?rounds=${steps - 1}`,
        user: 'bench',
      });
      const result = await handle.result();
      const seconds = (Date.now() - started) / 1000;
      const state = await handle.state();
      const chain = await historyChain(env.client, handle.runId, state.continuations + 1);
      console.log(
        `run: ${result.status} after ${result.steps} steps (${state.messageCount} messages) in ${seconds.toFixed(0)} s = ${(result.steps / seconds).toFixed(1)} steps/s; ` +
          `${chainFigures(chain)}; largest run ${mb(Math.max(...chain.map((r) => r.bytes)))} of Temporal's 50 MB, ${Math.max(...chain.map((r) => r.events))} events of 51,200`,
      );
    }
    if (turns > 0) {
      const sessions = new SessionManager(env.client, { taskQueue });
      const session = await sessions.create({
        user: 'bench',
        sessionId: `bench-${turns}-turns`,
        model: 'scripted:auto',
      });
      const started = Date.now();
      let next = 1;
      let last: TurnReply | undefined;
      let progressAt = Date.now();
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (next <= turns) {
            const n = next++;
            last = await session.send(n === 1 ? 'my name is Ada' : `message ${n}`, { messageId: `bench-turn-${n}` });
            if (Date.now() - progressAt > 30_000) {
              progressAt = Date.now();
              const s = await session.state();
              console.log(
                `  ${s.turns} turns, ${((Date.now() - started) / 1000).toFixed(0)} s, ${s.continuations} continuations, ${s.memory.contextChars} chars in context`,
              );
            }
          }
        }),
      );
      const seconds = (Date.now() - started) / 1000;
      const state = await session.state();
      const chain = await historyChain(env.client, session.sessionId, state.continuations + 1, 60_000);
      console.log(
        `session: ${state.turns} turns (last reply: turn ${last?.turn}, ${last?.status}) in ${seconds.toFixed(0)} s = ${(state.turns / seconds).toFixed(1)} turns/s with ${concurrency} in flight; ` +
          `memory ${state.memory.keptTurns} turns kept word for word, ${state.memory.contextChars} chars in context (limit ${state.memory.maxChars}), summary through turn ${state.memory.summaryThroughTurn}; ` +
          `${chainFigures(chain)}; largest run ${mb(Math.max(...chain.map((r) => r.bytes)))}, ${Math.max(...chain.map((r) => r.events))} events`,
      );
    }
  } finally {
    worker.shutdown();
    await running;
    await env.teardown();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
