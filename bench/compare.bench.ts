/**
 * bench:compare: temporal-agents against the same agent written by hand on bare Temporal + LangChain (bench/bare/),
 * one worker process at a time, rounds alternated, with LangGraph.js + its SQLite checkpointer for context.
 * Job: the model (the llm-stub, through `ChatOpenAI`) asks for 2 calculator calls, then answers.
 * Prints each figure for both sides and the ratio ours/bare (medians over rounds); worker CPU and RSS come from
 * /proc of each worker process. Exit 1 if any run failed.
 *
 * Run: `npm run bench:compare`. Settings (env): BENCH_ROUNDS (3), BENCH_SEQ_RUNS (sequential runs for latency, 10),
 * BENCH_RUNS (runs per throughput phase, at least the concurrency; 200), BENCH_CONCURRENCY ("100,500"),
 * BENCH_PARKED (parked runs, 300; 10000 for the big phase), BENCH_PARKED_ROUNDS (tool calls a parked run makes
 * after resume, 0), BENCH_USERS (users runs are spread over, 100), BENCH_WARMUP (runs a fresh worker makes before a
 * phase measures, over the phase's users; 3), BENCH_HOT_RUNS (100; 0 skips), BENCH_HOT_QUOTA
 * (1: the hot-user phase's worker has a quota policy, so every model call also reserves in the ledger; 0: none),
 * BENCH_PHASES (comma list of latency,throughput,parked,hot,langgraph,survival; default all),
 * BENCH_PROFILE_DIR (instead of measuring: one parked phase per side with a CPU profile of the worker and heap
 * snapshots before and after parking, written there and summarised; see docs/benchmarks.md).
 */
import { z } from 'zod';
import { startDevEnvironment } from '../testing/environment';
import { langGraphPhase, type LangGraphResult } from './compare/langgraph-process';
import {
  hotUserPhase,
  latencyPhase,
  parkedPhase,
  throughputPhase,
  type Failures,
  type HotUserResult,
  type LatencyResult,
  type ParkedResult,
  type PhaseDeps,
  type ThroughputResult,
} from './compare/phases';
import { median } from './compare/pool';
import { profileParked, profileThroughput } from './compare/profile';
import { printTable, type Row } from './compare/report';
import { bareSide, oursSide, type Side, type SideName } from './compare/sides';
import { startStubProcess } from './compare/stub';
import { langGraphSurvival, oursSurvival, type SurvivalResult } from './compare/survival';

const phaseNames = ['latency', 'throughput', 'parked', 'hot', 'langgraph', 'survival'] as const;
const count = (fallback: number, min = 1) => z.coerce.number().int().min(min).default(fallback);
const settingsSchema = z.object({
  BENCH_ROUNDS: count(3),
  BENCH_SEQ_RUNS: count(10),
  BENCH_RUNS: count(200),
  BENCH_CONCURRENCY: z
    .string()
    .default('100,500')
    .transform((s) => s.split(',').map(Number))
    .pipe(z.array(z.number().int().min(1)).min(1)),
  BENCH_PARKED: count(300),
  BENCH_PARKED_ROUNDS: count(0, 0),
  BENCH_USERS: count(100),
  BENCH_WARMUP: count(3, 0),
  BENCH_HOT_RUNS: count(100, 0),
  BENCH_HOT_QUOTA: z.enum(['0', '1']).default('1'),
  BENCH_PHASES: z
    .string()
    .default(phaseNames.join(','))
    .transform((s) => s.split(',').map((p) => p.trim()))
    .pipe(z.array(z.enum(phaseNames))),
  BENCH_PROFILE_DIR: z.string().optional(),
  /** What BENCH_PROFILE_DIR profiles: `parked` (start and park, heap snapshots) or `throughput` (the first concurrency). */
  BENCH_PROFILE_PHASE: z.enum(['parked', 'throughput']).default('parked'),
});
const settings = settingsSchema.parse(process.env);
const rounds = 2; // tool calls of the job
/** A quota far above what the bench spends (as bench:load's): every model call reserves (update) and commits (signal). */
const quotaPolicy = { roles: { metered: { quota: { usd: 1_000_000, period: 'day' } } }, defaultRoles: ['metered'] };
const on = (phase: (typeof phaseNames)[number]) => settings.BENCH_PHASES.includes(phase);

type PerSide<T> = Record<SideName, T[]>;
const perSide = <T>(): PerSide<T> => ({ bare: [], ours: [] });

const failures: string[] = [];
const ms = (seconds: number) => (seconds * 1000).toFixed(1);
function note(what: string, f: Failures): void {
  if (f.failed) failures.push(`${what}: ${f.failed} failed, first: ${f.first}`);
}

async function main(): Promise<void> {
  const s = settings;
  console.log(
    `bench:compare: job = 3 model calls + ${rounds} tool calls; ${s.BENCH_ROUNDS} round(s); latency over ${s.BENCH_SEQ_RUNS} runs; ` +
      `throughput at ${s.BENCH_CONCURRENCY.join(', ')} concurrent; ${s.BENCH_PARKED} parked; phases ${s.BENCH_PHASES.join(', ')}`,
  );
  const env = await startDevEnvironment();
  const stub = await startStubProcess();
  try {
    const ctx = { client: env.client, temporalAddress: env.address, stubUrl: stub.url };
    const sides: Side[] = [bareSide(ctx), oursSide(ctx)];
    const deps: PhaseDeps = { client: env.client, stub, rounds, users: s.BENCH_USERS, warmUpRuns: s.BENCH_WARMUP };
    if (s.BENCH_PROFILE_DIR) {
      for (const side of sides)
        if (s.BENCH_PROFILE_PHASE === 'throughput')
          await profileThroughput(side, deps, s.BENCH_RUNS, s.BENCH_CONCURRENCY[0], s.BENCH_PROFILE_DIR);
        else await profileParked(side, deps, s.BENCH_PARKED, s.BENCH_PROFILE_DIR);
      return;
    }
    const latency = perSide<LatencyResult>();
    const throughput = new Map(s.BENCH_CONCURRENCY.map((c) => [c, perSide<ThroughputResult>()]));
    const parked = perSide<ParkedResult>();
    const hot: HotUserResult[] = [];
    const langGraph: LangGraphResult[] = [];
    for (let round = 1; round <= s.BENCH_ROUNDS; round++) {
      // Alternate which side goes first, phase by phase, so drift in the machine's load hits both alike.
      const order = round % 2 ? sides : [...sides].reverse();
      const log = (side: Side, what: string, text: string) =>
        console.log(`round ${round} ${side.name.padEnd(4)} ${what}: ${text}`);
      if (on('latency')) {
        for (const side of order) {
          const r = await latencyPhase(side, deps, s.BENCH_SEQ_RUNS);
          latency[side.name].push(r);
          note(`${side.name} latency`, r);
          log(side, 'latency', `median ${r.medianMs.toFixed(0)} ms${r.failed ? `, ${r.failed} failed` : ''}`);
        }
      }
      if (on('throughput')) {
        for (const c of s.BENCH_CONCURRENCY) {
          for (const side of order) {
            const r = await throughputPhase(side, deps, Math.max(s.BENCH_RUNS, c), c);
            throughput.get(c)![side.name].push(r);
            note(`${side.name} throughput at ${c}`, r);
            log(
              side,
              `${r.runs} runs at ${c}`,
              `${r.runsPerSecond.toFixed(1)} runs/s, peak RSS ${(r.peakRss / 1e6).toFixed(0)} MB, CPU ${(r.cpuSecondsPerRun * 1000).toFixed(1)} ms/run (server ${ms(r.otherCpuSecondsPerRun.server)}, stub ${ms(r.otherCpuSecondsPerRun.stub)}, client ${ms(r.otherCpuSecondsPerRun.client)})${r.failed ? `, ${r.failed} failed` : ''}`,
            );
          }
        }
      }
      if (on('parked')) {
        for (const side of order) {
          const r = await parkedPhase(side, deps, s.BENCH_PARKED, s.BENCH_PARKED_ROUNDS);
          parked[side.name].push(r);
          note(`${side.name} parked`, r);
          log(
            side,
            `${r.parked} parked`,
            `RSS ${(r.rss / 1e6).toFixed(0)} MB, ${(r.rssPerRun / 1e3).toFixed(0)} KB/run, CPU to start and park ${r.cpuSecondsToPark.toFixed(1)} s, ` +
              `model calls while parking ${r.modelCallsWhileParking}, resume all ${r.resumeSeconds.toFixed(1)} s${r.failed ? `, ${r.failed} failed` : ''}`,
          );
        }
      }
      if (on('langgraph')) {
        const c = s.BENCH_CONCURRENCY[0];
        const r = await langGraphPhase(stub.url, rounds, s.BENCH_SEQ_RUNS, Math.max(s.BENCH_RUNS, c), c);
        langGraph.push(r);
        note('LangGraph.js', r);
        console.log(
          `round ${round} LangGraph.js: median ${r.latencyMs.toFixed(0)} ms, ${r.runsPerSecond.toFixed(1)} runs/s at ${c}, peak RSS ${(r.peakRss / 1e6).toFixed(0)} MB`,
        );
      }
      if (on('hot') && s.BENCH_HOT_RUNS > 0) {
        const r = await hotUserPhase(
          sides[1],
          deps,
          s.BENCH_HOT_RUNS,
          s.BENCH_HOT_QUOTA === '1' ? { AGENT_POLICY: JSON.stringify(quotaPolicy) } : {},
        );
        hot.push(r);
        note('ours hot user', r);
        console.log(
          `round ${round} ours one user x ${r.runs} runs: ${r.oneUserSeconds.toFixed(1)} s; ${r.runs} users x 1 run: ${r.manyUsersSeconds.toFixed(1)} s; ` +
            `ResourceExhausted log lines ${r.resourceExhausted[0]} / ${r.resourceExhausted[1]}`,
        );
      }
    }
    const survival: [string, SurvivalResult][] = [];
    if (on('survival')) {
      survival.push([
        'temporal-agents (worker SIGKILLed, another started)',
        await oursSurvival(sides[1], stub, rounds),
      ]);
      survival.push([
        'LangGraph.js + SQLite (process SIGKILLed, restarted, thread invoked again)',
        await langGraphSurvival(stub, rounds),
      ]);
    }
    printTable(buildRows(latency, throughput, parked, hot, langGraph), survival);
  } finally {
    await stub.stop();
    await env.teardown();
  }
  if (failures.length) {
    console.log(`FAILED runs:\n  ${failures.join('\n  ')}`);
    process.exitCode = 1;
  }
}

function buildRows(
  latency: PerSide<LatencyResult>,
  throughput: Map<number, PerSide<ThroughputResult>>,
  parked: PerSide<ParkedResult>,
  hot: HotUserResult[],
  langGraph: LangGraphResult[],
): Row[] {
  const m = <T>(xs: T[], f: (x: T) => number) => median(xs.map(f));
  const both = <T>(xs: PerSide<T>, f: (x: T) => number) => ({ bare: m(xs.bare, f), ours: m(xs.ours, f) });
  const rows: Row[] = [];
  if (latency.bare.length)
    rows.push({
      label: 'per-run latency, sequential (median)',
      unit: 'ms',
      ...both(latency, (r) => r.medianMs),
      langGraph: m(langGraph, (r) => r.latencyMs),
    });
  for (const [c, t] of throughput) {
    if (!t.bare.length) continue;
    const runs = t.bare[0].runs;
    const first = c === settings.BENCH_CONCURRENCY[0];
    rows.push({
      label: `runs/s, ${runs} runs at ${c} concurrent`,
      unit: 'runs/s',
      ...both(t, (r) => r.runsPerSecond),
      ...(first ? { langGraph: m(langGraph, (r) => r.runsPerSecond) } : {}),
    });
    rows.push({
      label: `worker peak RSS in that phase`,
      unit: 'MB',
      ...both(t, (r) => r.peakRss / 1e6),
      ...(first ? { langGraph: m(langGraph, (r) => r.peakRss / 1e6) } : {}),
    });
    rows.push({ label: `worker CPU per run in that phase`, unit: 'ms', ...both(t, (r) => r.cpuSecondsPerRun * 1000) });
  }
  if (parked.bare.length) {
    const n = parked.bare[0].parked;
    rows.push({
      label: `memory per parked run, ${n} parked on one worker`,
      unit: 'KB',
      ...both(parked, (r) => r.rssPerRun / 1e3),
    });
    rows.push({ label: `worker RSS with ${n} parked`, unit: 'MB', ...both(parked, (r) => r.rss / 1e6) });
    rows.push({
      label: `worker CPU to start and park ${n} runs`,
      unit: 's',
      ...both(parked, (r) => r.cpuSecondsToPark),
    });
    rows.push({
      label: `time to resume all ${n} and see them finish`,
      unit: 's',
      ...both(parked, (r) => r.resumeSeconds),
    });
  }
  if (hot.length) {
    const runs = hot[0].runs;
    rows.push({
      label: `ours${settings.BENCH_HOT_QUOTA === '1' ? ', quota policy on' : ''}: one user x ${runs} concurrent runs vs ${runs} users x 1 run (seconds)`,
      unit: 's',
      bare: m(hot, (r) => r.manyUsersSeconds),
      ours: m(hot, (r) => r.oneUserSeconds),
      sideNames: [`${runs} users`, 'one user'],
      extra: `speed one user / many users ${(m(hot, (r) => r.manyUsersSeconds) / m(hot, (r) => r.oneUserSeconds)).toFixed(2)}x; ResourceExhausted log lines ${hot.map((r) => r.resourceExhausted.join(' / ')).join(', ')} (one user / many, per round)`,
    });
  }
  return rows;
}

main().then(
  // Result polls of runs that never finished would outlive the server; end here.
  () => process.exit(process.exitCode ?? 0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
