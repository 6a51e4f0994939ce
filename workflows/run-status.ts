/** The durable events and visibility a status change of an agent loop records. */
import { patched, setCurrentDetails, upsertSearchAttributes } from '@temporalio/workflow';
import type { RunStatus } from '../agents/run';
import { agentPausedAtKey } from '../agents/search-attributes';
import { workflowNow } from './clock';
import type { RunEventLog } from './run-events';

/**
 * Emits `run.paused`, `run.resumed`, `run.stopped` or `run.cancelled` for a change from `previous` to `status`.
 * `patchedChanges: false` (an `agentRun`) records `AgentPausedAt` without its patch.
 */
export function emitStatusChange(
  events: RunEventLog,
  previous: RunStatus,
  status: RunStatus,
  step: number,
  reason?: string,
  patchedChanges?: boolean,
): void {
  if (status === 'paused') {
    events.emit('run.paused', { step, reason });
    // Added after v1 histories were recorded: they replay without this upsert.
    if (patchedChanges === false || patched('paused-at-search-attribute'))
      upsertSearchAttributes([{ key: agentPausedAtKey, value: new Date(workflowNow()) }]);
  } else if (status === 'running' && previous === 'paused') {
    events.emit('run.resumed', { step });
  } else if (status === 'stopped') {
    events.emit('run.stopped', { step });
  } else if (status === 'cancelled') {
    events.emit('run.cancelled', { step });
  }
  if (status !== 'running') setCurrentDetails(status);
}
