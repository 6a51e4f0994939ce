/** The search attributes a run starts with, whoever starts it (`start`, schedules, `fork`), so every run is found alike. */
import type { SearchAttributePair } from '@temporalio/common';
import {
  agentKindKey,
  agentModelKey,
  agentStatusKey,
  agentTemplateKey,
  agentUserKey,
} from '../agents/search-attributes';

export function runSearchAttributes(run: { user: string; template: string; model: string }): SearchAttributePair[] {
  return [
    { key: agentKindKey, value: 'run' },
    { key: agentUserKey, value: run.user },
    { key: agentTemplateKey, value: run.template },
    { key: agentStatusKey, value: 'running' },
    { key: agentModelKey, value: run.model },
  ];
}
