/** `ControlSignals`: pause, resume and stop, the operator signals runs and sessions share. */
import type { WorkflowHandle } from '@temporalio/client';
import { pauseSignal, resumeSignal, stopSignal } from '../agents/messages';

export abstract class ControlSignals {
  abstract readonly workflow: WorkflowHandle;

  /** Runs a Temporal call, turning its errors into `AgentError`s that name this run or session. */
  protected abstract call<T>(fn: () => Promise<T>): Promise<T>;

  /** Parks at the next step boundary (a session also holds waiting messages), using no worker while parked. */
  pause(): Promise<void> {
    return this.call(() => this.workflow.signal(pauseSignal));
  }

  resume(): Promise<void> {
    return this.call(() => this.workflow.signal(resumeSignal));
  }

  /**
   * Ends gracefully: a run with status `stopped` and its partial result; a session's running turn replies
   * `stopped`, waiting messages fail with `SessionClosed`, and the session closes.
   */
  stop(): Promise<void> {
    return this.call(() => this.workflow.signal(stopSignal));
  }
}
