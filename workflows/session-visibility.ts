/**
 * What a session shows to Temporal visibility: the search attributes `ls` filters on (`AgentKind` = `session`,
 * `AgentUser`, `AgentTemplate`, `AgentModel`, `AgentStatus` = open | paused | closed). The memo (turns, usage)
 * is written by `Session` after every turn. Deterministic code only.
 */
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import { upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import {
  agentKindKey,
  agentModelKey,
  agentStatusKey,
  agentTemplateKey,
  agentUserKey,
} from '../agents/search-attributes';
import type { ResolvedSession, SessionListStatus } from '../agents/session';
import { setStatusAttribute } from './status-attribute';

/** Sets every attribute; a session started without them (CLI, UI) gets them here. Unchanged values cost no event. */
export function upsertSessionSearchAttributes(session: ResolvedSession, paused: boolean): void {
  const { input, template } = session;
  const wanted: SearchAttributeUpdatePair[] = [
    { key: agentKindKey, value: 'session' },
    { key: agentUserKey, value: input.user },
    { key: agentTemplateKey, value: template },
    { key: agentModelKey, value: input.model },
    { key: agentStatusKey, value: paused ? 'paused' : 'open' },
  ];
  const current = workflowInfo().typedSearchAttributes;
  const changed = wanted.filter((pair) => current.get(pair.key as typeof agentKindKey) !== pair.value);
  if (changed.length > 0) upsertSearchAttributes(changed);
}

export function setSessionListStatus(status: SessionListStatus): void {
  setStatusAttribute(status);
}
