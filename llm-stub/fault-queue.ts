// The FIFO of pending faults; each chat-completion request takes the first fault whose match fits its key.
import type { Fault, FaultMatch } from './faults';

/** Identifies a model call, read from the `x-agent-run`, `x-agent-step`, `x-agent-attempt` headers. */
export interface RequestKey {
  /** Workflow run (or any caller-chosen id); undefined when the header is missing. */
  run?: string;
  /** Step number within the run; undefined when missing or not an integer. */
  step?: number;
  /** Activity attempt, starting at 1; undefined when missing or not an integer. */
  attempt?: number;
}

interface Entry {
  fault: Fault;
  remaining: number;
}

export class FaultQueue {
  private entries: Entry[] = [];

  /** Appends faults after the ones already queued. */
  add(faults: Fault[]): void {
    for (const fault of faults) this.entries.push({ fault, remaining: fault.times ?? 1 });
  }

  /** Drops every pending fault and returns how many there were. */
  clear(): number {
    const count = this.entries.length;
    this.entries = [];
    return count;
  }

  /** Pending faults in order, with `times` showing the uses left. */
  pending(): Fault[] {
    return this.entries.map(({ fault, remaining }) => ({ ...fault, times: remaining }));
  }

  /**
   * Consumes one use of the first fault matching `key`. Faults that do not match stay queued in
   * place, so a fault for run A is not used up by run B's requests.
   */
  take(key: RequestKey): Fault | undefined {
    const index = this.entries.findIndex((entry) => matches(entry.fault.match, key));
    if (index < 0) return undefined;
    const entry = this.entries[index];
    entry.remaining -= 1;
    if (entry.remaining <= 0) this.entries.splice(index, 1);
    return entry.fault;
  }
}

function matches(match: FaultMatch | undefined, key: RequestKey): boolean {
  if (!match) return true;
  if (match.run !== undefined && match.run !== key.run) return false;
  if (match.step !== undefined && match.step !== key.step) return false;
  return true;
}
