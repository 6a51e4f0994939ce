/** Search attributes of agent runs and sessions: list runs by user, template, status. */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

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
