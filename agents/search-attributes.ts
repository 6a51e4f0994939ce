/** Search attributes of agent runs and sessions: list runs by user, template, status. */
import { defineSearchAttributeKey, SearchAttributeType, type SearchAttributePair } from '@temporalio/common';

export const agentUserKey = defineSearchAttributeKey('AgentUser', SearchAttributeType.KEYWORD);
export const agentTemplateKey = defineSearchAttributeKey('AgentTemplate', SearchAttributeType.KEYWORD);
export const agentStatusKey = defineSearchAttributeKey('AgentStatus', SearchAttributeType.KEYWORD);
export const agentModelKey = defineSearchAttributeKey('AgentModel', SearchAttributeType.KEYWORD);
/** When the run was last parked by pause (for "paused too long" alerts). */
export const agentPausedAtKey = defineSearchAttributeKey('AgentPausedAt', SearchAttributeType.DATETIME);
export const agentKindKey = defineSearchAttributeKey('AgentKind', SearchAttributeType.KEYWORD);
/** The workflow id of the run that started this one as a sub-agent (`agentctl ls --parent`). */
export const agentParentKey = defineSearchAttributeKey('AgentParent', SearchAttributeType.KEYWORD);

/** Every key the worker makes sure the namespace has. */
export const agentSearchAttributeKeys = [
  agentUserKey,
  agentTemplateKey,
  agentStatusKey,
  agentModelKey,
  agentKindKey,
  agentPausedAtKey,
  agentParentKey,
];

/**
 * The search attributes a run starts with, whoever starts it (`start`, schedules, `fork`, a parent run), so every
 * run is found alike. No `AgentStatus`: an `agentRun` sets it only for what Temporal's execution status does not
 * say (`runStatusAttribute`).
 */
export function runSearchAttributes(run: { user: string; template: string; model: string }): SearchAttributePair[] {
  return [
    { key: agentKindKey, value: 'run' },
    { key: agentUserKey, value: run.user },
    { key: agentTemplateKey, value: run.template },
    { key: agentModelKey, value: run.model },
  ];
}
