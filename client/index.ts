/** client/: the typed library services use to start and control agent runs, and the `agentctl` CLI. */
export * from './agent-client';
export * from './catalog';
export * from './agent-schedules';
export * from './connection';
export * from './errors';
export * from './follow';
export type { ForkRunOptions } from './run-fork';
export * from './run-history';
export * from './usage';
export { AgentError, ErrorType } from '../agents/errors';
export type { ForkOrigin, RunResult, RunState, RunStatus, RunOptions } from '../agents/run';
export * from './session-manager';
