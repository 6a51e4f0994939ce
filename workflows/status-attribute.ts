/** The `AgentStatus` search attribute of a run or session, upserted only when it changes (an upsert costs the server). */
import { upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import { agentStatusKey } from '../agents/search-attributes';

/** Sets `AgentStatus` to `value` (`null` removes it) unless it already holds that. */
export function setStatusAttribute(value: string | null): void {
  if ((workflowInfo().typedSearchAttributes.get(agentStatusKey) ?? null) !== value)
    upsertSearchAttributes([{ key: agentStatusKey, value }]);
}
