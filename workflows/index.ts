/**
 * workflows/: deterministic workflow code, bundled for Temporal's workflow sandbox.
 *
 * Imports only `agents/` (pure) and activity types. No I/O, no Node APIs, no clocks but Temporal's.
 *
 * The worker shares every other module of workflows/ among the workflows of a sandbox context: they are evaluated
 * once, not per workflow (`sharedWorkflowModules` in worker/workflow-bundle.ts). A worker with `reuseV8Context: false`
 * evaluates them per workflow instead; for it, each workflow type's module is required when a workflow of that type
 * starts, so an agent run never evaluates the session, ledger or catalog modules. Webpack still puts every module in
 * the one bundle.
 */
/* eslint-disable @typescript-eslint/no-require-imports -- lazy module evaluation, see above */
import type * as AgentRun from './agent-run';
import type * as AgentCatalog from './agent-catalog';
import type * as Session from './session';
import type * as UserLedger from './user-ledger';

/** An agent run: the type clients start (agents/run-workflow-type.ts). */
export function agentRun(
  ...args: Parameters<typeof AgentRun.agentRunWorkflow>
): ReturnType<typeof AgentRun.agentRunWorkflow> {
  return (require('./agent-run') as typeof AgentRun).agentRunWorkflow(...args);
}

/** An agent run of the type used before `agentRun`: its runs, and runs started by name, replay as recorded. */
export function agentRunWorkflow(
  ...args: Parameters<typeof AgentRun.agentRunWorkflow>
): ReturnType<typeof AgentRun.agentRunWorkflow> {
  return (require('./agent-run') as typeof AgentRun).agentRunWorkflow(...args);
}

export function userLedgerWorkflow(
  ...args: Parameters<typeof UserLedger.userLedgerWorkflow>
): ReturnType<typeof UserLedger.userLedgerWorkflow> {
  return (require('./user-ledger') as typeof UserLedger).userLedgerWorkflow(...args);
}

export function sessionWorkflow(
  ...args: Parameters<typeof Session.sessionWorkflow>
): ReturnType<typeof Session.sessionWorkflow> {
  return (require('./session') as typeof Session).sessionWorkflow(...args);
}

export function agentCatalogWorkflow(
  ...args: Parameters<typeof AgentCatalog.agentCatalogWorkflow>
): ReturnType<typeof AgentCatalog.agentCatalogWorkflow> {
  return (require('./agent-catalog') as typeof AgentCatalog).agentCatalogWorkflow(...args);
}
