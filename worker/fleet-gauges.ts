/**
 * Fleet-wide gauges from Temporal visibility: runs active and paused, and the oldest pause. Every worker
 * reports the same values (dashboards take `max`), cached briefly so scrapes stay cheap.
 */
import type { Client } from '@temporalio/client';
import { Gauge, type Registry } from 'prom-client';
import { agentPausedAtKey } from '../agents/search-attributes';
import { runWorkflowTypeClause } from '../agents/run-workflow-type';

const cacheMs = 10_000;
const maxPausedScanned = 1000;

export function registerFleetGauges(registry: Registry, client: Client): void {
  let cached: { at: number; values: Promise<FleetValues> } | undefined;
  const values = () => {
    if (!cached || Date.now() - cached.at > cacheMs) cached = { at: Date.now(), values: readFleet(client) };
    return cached.values;
  };
  const registers = [registry];
  new Gauge({
    name: 'agent_runs_active',
    help: 'Agent runs open and not paused (fleet-wide, from visibility).',
    registers,
    async collect() {
      this.set((await values()).active);
    },
  });
  new Gauge({
    name: 'agent_runs_paused',
    help: 'Agent runs paused (fleet-wide, from visibility).',
    registers,
    async collect() {
      this.set((await values()).paused);
    },
  });
  new Gauge({
    name: 'agent_paused_run_age_seconds',
    help: 'How long the longest-paused run has been paused (0 when none).',
    registers,
    async collect() {
      this.set((await values()).oldestPauseSeconds);
    },
  });
}

interface FleetValues {
  active: number;
  paused: number;
  oldestPauseSeconds: number;
}

async function readFleet(client: Client): Promise<FleetValues> {
  try {
    const open = `${runWorkflowTypeClause} AND ExecutionStatus = 'Running'`;
    const [active, paused] = await Promise.all([
      // An `agentRun` that runs has no `AgentStatus`; an `agentRunWorkflow` one says `running`.
      client.workflow.count(`${open} AND (AgentStatus IS NULL OR AgentStatus = 'running')`),
      client.workflow.count(`${open} AND AgentStatus = 'paused'`),
    ]);
    let oldest = 0;
    let scanned = 0;
    for await (const run of client.workflow.list({ query: `${open} AND AgentStatus = 'paused'` })) {
      const pausedAt = run.typedSearchAttributes.get(agentPausedAtKey);
      if (pausedAt) oldest = Math.max(oldest, (Date.now() - pausedAt.getTime()) / 1000);
      if (++scanned >= maxPausedScanned) break;
    }
    return { active: active.count, paused: paused.count, oldestPauseSeconds: oldest };
  } catch {
    // Visibility unavailable: report nothing rather than fail the scrape.
    return { active: NaN, paused: NaN, oldestPauseSeconds: NaN };
  }
}
