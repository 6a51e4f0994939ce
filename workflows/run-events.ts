/**
 * `RunEventLog`: a run's durable step events, held in workflow state (bounded) and published to the
 * worker's event bus through a sink. Sinks are not called on replay, so nothing is counted twice.
 */
import { proxySinks, workflowInfo } from '@temporalio/workflow';
import type { AgentSinks, RunEvent, RunEventData, RunEventType } from '../agents/events';
import type { EventsPage } from '../agents/messages';
import { workflowNowIso } from './clock';

/** Events kept in state; older ones are dropped (their seq numbers stay taken). */
export const maxEventsKept = 500;
const maxEventsPerPage = 200;

const { agentEvents } = proxySinks<AgentSinks>();

/** What crosses continue-as-new. */
export interface RunEventLogState {
  events: RunEvent[];
  lastSeq: number;
}

export class RunEventLog {
  private readonly events: RunEvent[];
  private lastSeq: number;
  /** Set when the run has ended, so followers stop. */
  done = false;

  constructor(carried?: RunEventLogState) {
    this.events = carried?.events ?? [];
    this.lastSeq = carried?.lastSeq ?? 0;
  }

  emit<T extends RunEventType>(type: T, data: RunEventData[T]): void {
    const event: RunEvent<T> = {
      seq: ++this.lastSeq,
      type,
      at: workflowNowIso(),
      runId: workflowInfo().workflowId,
      data,
    };
    this.events.push(event as RunEvent);
    if (this.events.length > maxEventsKept) this.events.splice(0, this.events.length - maxEventsKept);
    agentEvents.publish(event);
  }

  page({ after, limit }: { after: number; limit?: number }): EventsPage {
    const max = Math.min(Math.max(1, limit ?? maxEventsPerPage), maxEventsPerPage);
    const start = this.events.findIndex((e) => e.seq > after);
    const events = start < 0 ? [] : this.events.slice(start, start + max);
    return { events, lastSeq: this.lastSeq, firstSeq: this.events[0]?.seq ?? this.lastSeq + 1, done: this.done };
  }

  carry(): RunEventLogState {
    return { events: this.events, lastSeq: this.lastSeq };
  }
}
