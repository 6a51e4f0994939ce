/**
 * The search attributes a run starts with, whoever starts it (`start`, schedules, `fork`), so every run is found alike.
 * No `AgentStatus`: an `agentRun` sets it only for what Temporal's execution status does not say (`runStatusAttribute`).
 */
import type { SearchAttributePair } from '@temporalio/common';
import { agentKindKey, agentModelKey, agentTemplateKey, agentUserKey } from '../agents/search-attributes';

export function runSearchAttributes(run: { user: string; template: string; model: string }): SearchAttributePair[] {
  return [
    { key: agentKindKey, value: 'run' },
    { key: agentUserKey, value: run.user },
    { key: agentTemplateKey, value: run.template },
    { key: agentModelKey, value: run.model },
  ];
}
