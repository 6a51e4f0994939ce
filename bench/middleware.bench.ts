/**
 * Middleware cost, each figure against a baseline measured in the same run: `npx tsx bench/middleware.bench.ts`
 * (or `npm run bench:middleware`).
 *
 * 1. In process: a model call through N pass-through layers and through the built-in layers (no ledger)
 *    vs the bare handler, per layer. The reference runtime quoted ~0.5 ms per layer.
 * 2. End to end on a dev server: the time the pipeline adds to each model call (call time minus the
 *    model's own time, measured by an outermost probe middleware) with the ledger off, with accounting
 *    only (the commit signal), and with rate limit + quota (the admit update, then the commit signal),
 *    over sequential agent steps.
 *
 * Settings: BENCH_CALLS (in-process calls per case, default 200000), BENCH_STEPS (model calls per
 * end-to-end case, default 60).
 */
import { AIMessage, HumanMessage } from '@langchain/core/messages';
import type { Logger } from '@temporalio/common';
import {
  builtinMiddleware,
  MiddlewarePipeline,
  type AgentMiddleware,
  type ModelCallHandler,
  type ModelCallRequest,
} from '../activities/middleware';
import type { PolicyInput } from '../activities/middleware/policy';
import { agentClient, inProcessWorker, startDevEnvironment, uniqueTaskQueue } from '../testing/environment';
import { fakeContext, modelRequest } from '../testing/fake-call';

const calls = Number(process.env.BENCH_CALLS ?? 200_000);
const steps = Number(process.env.BENCH_STEPS ?? 60);
const referenceLayerUs = 500;

const silent: Logger = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};
const reply = new AIMessage({
  content: 'ok',
  usage_metadata: { input_tokens: 10, output_tokens: 5, total_tokens: 15 },
});
const bare: ModelCallHandler = async () => reply;

function passThrough(i: number): AgentMiddleware {
  return { name: `pass-${i}`, priority: i, enabled: true, wrapModelCall: (request, handler) => handler(request) };
}

/** Nanoseconds per call of `handler` over `calls` calls, best of three rounds (after a warm-up round). */
async function nsPerCall(handler: ModelCallHandler, request: ModelCallRequest): Promise<number> {
  let best = Infinity;
  for (let round = 0; round < 4; round++) {
    const started = performance.now();
    for (let i = 0; i < calls; i++) await handler(request);
    const ns = ((performance.now() - started) * 1e6) / calls;
    if (round > 0) best = Math.min(best, ns);
  }
  return best;
}

async function inProcess(): Promise<void> {
  console.log(`\n== in process: ${calls} calls per case, best of 3`);
  const context = fakeContext({ log: silent });
  const request = modelRequest(context, [new HumanMessage('hello')]);
  const baseline = await nsPerCall(bare, request);
  console.log(`bare handler (baseline)            ${fmtNs(baseline)} per call`);
  for (const layers of [1, 4, 16]) {
    const pipeline = new MiddlewarePipeline(Array.from({ length: layers }, (_, i) => passThrough(i)));
    const ns = await nsPerCall(pipeline.modelCall(bare), request);
    const perLayer = (ns - baseline) / layers;
    console.log(
      `${String(layers).padStart(2)} pass-through layer(s)           ${fmtNs(ns)} per call; ${fmtNs(perLayer)} per layer; ${ratio(perLayer)}`,
    );
  }
  // The built-in four without a ledger: logging (structured entry), auth (glob checks), quota and rate
  // limit (nothing to share, so they only look at the policy).
  const builtin = new MiddlewarePipeline(builtinMiddleware());
  const limited = fakeContext({
    log: silent,
    policyInput: {
      roles: {
        r: {
          models: ['scripted:*', 'openai:*'],
          rateLimit: { requests: 10, windowSeconds: 1 },
          quota: { tokens: 1000 },
        },
      },
      defaultRoles: ['r'],
    },
  });
  const ns = await nsPerCall(builtin.modelCall(bare), modelRequest(limited, [new HumanMessage('hello')]));
  const perLayer = (ns - baseline) / builtin.middleware.length;
  console.log(
    `built-in 4 (logging, auth, quota, rate limit; no ledger) ${fmtNs(ns)} per call; ${fmtNs(perLayer)} per layer; ${ratio(perLayer)}`,
  );
}

/** Records, per model call, the time spent outside the model itself (the rest of the pipeline). */
function probe(samples: number[]): AgentMiddleware {
  return {
    name: 'bench-probe',
    priority: 0,
    enabled: true,
    async wrapModelCall(request, handler) {
      const started = performance.now();
      const response = await handler(request);
      samples.push(performance.now() - started - (request.context.timings.handlerMs ?? 0));
      return response;
    },
  };
}

async function endToEnd(): Promise<void> {
  console.log(
    `\n== end to end on a dev server: ${steps} sequential model calls per case (scripted model), after a warm-up run`,
  );
  const env = await startDevEnvironment();
  const limits: PolicyInput = {
    roles: {
      r: { rateLimit: { requests: 100_000, windowSeconds: 60 }, quota: { tokens: 100_000_000, period: 'day' } },
    },
    defaultRoles: ['r'],
  };
  const cases: { name: string; ledger: boolean; policy?: PolicyInput }[] = [
    { name: 'ledger off (baseline)', ledger: false },
    { name: 'accounting only (commit signal)', ledger: true },
    { name: 'rate limit + quota (admit update, commit signal)', ledger: true, policy: limits },
  ];
  const results: { name: string; overheadMs: number; perStepMs: number }[] = [];
  try {
    for (const c of cases) {
      const samples: number[] = [];
      const taskQueue = uniqueTaskQueue('bench');
      const worker = await inProcessWorker(
        env,
        taskQueue,
        {},
        { ledger: c.ledger, policy: c.policy, middleware: [probe(samples)] },
      );
      const client = agentClient(env, taskQueue);
      const user = `bench-${results.length}`;
      await worker.runUntil(async () => {
        const run = (rounds: number) =>
          client.start({
            template: 'react',
            input: { task: 'count', maxSteps: rounds + 1 },
            model: `scripted:auto?rounds=${rounds}`,
            user,
          });
        await (await run(5)).result();
        samples.length = 0;
        const started = performance.now();
        const result = await (await run(steps - 1)).result();
        const wall = performance.now() - started;
        results.push({ name: c.name, overheadMs: median(samples), perStepMs: wall / result.steps });
      });
    }
  } finally {
    await env.teardown();
  }
  const [base] = results;
  for (const r of results) {
    console.log(
      `${r.name.padEnd(48)} pipeline time per model call: median ${r.overheadMs.toFixed(2)} ms (${(r.overheadMs / base.overheadMs).toFixed(1)}x baseline); ` +
        `wall time per agent step ${r.perStepMs.toFixed(1)} ms (${(r.perStepMs / base.perStepMs).toFixed(2)}x)`,
    );
  }
  const shared = results[2].overheadMs - base.overheadMs;
  console.log(
    `shared rate-limit + quota check adds ${shared.toFixed(2)} ms per model call (admit update + commit signal to the user's ledger)`,
  );
}

function fmtNs(ns: number): string {
  return ns >= 1000 ? `${(ns / 1000).toFixed(2)} µs` : `${ns.toFixed(0)} ns`;
}

function ratio(perLayerNs: number): string {
  return `${(perLayerNs / 1000 / referenceLayerUs).toExponential(1)} of the reference 0.5 ms per layer (${Math.round((referenceLayerUs * 1000) / Math.max(perLayerNs, 1))}x faster)`;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

async function main(): Promise<void> {
  await inProcess();
  if (process.env.BENCH_SKIP_SERVER !== '1') await endToEnd();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
