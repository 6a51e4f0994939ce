/**
 * workflows/: deterministic workflow code, bundled for Temporal's workflow sandbox.
 *
 * Imports only `agents/` (pure) and activity types. No I/O, no Node APIs, no clocks but Temporal's.
 */
export { agentRunWorkflow } from './agent-run';
export { userLedgerWorkflow } from './user-ledger';
export { sessionWorkflow } from './session';
export { agentCatalogWorkflow } from './agent-catalog';
