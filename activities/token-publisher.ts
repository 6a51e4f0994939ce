/**
 * Sends streamed model text to the run's workflow in batches (one signal per interval, not per token),
 * so history cost per call is bounded by its duration, and offsets make redelivery harmless.
 */
import type { WorkflowHandle } from '@temporalio/client';
import { tokenDeltasSignal } from '../agents/messages';

export class TokenPublisher {
  private pending = '';
  private sent = 0;
  private timer?: NodeJS.Timeout;
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly workflow: WorkflowHandle,
    private readonly step: number,
    private readonly attempt: number,
    /** Time between batches. Default 200 ms. */
    private readonly intervalMs = 200,
    private readonly onError: (err: unknown) => void = () => undefined,
  ) {}

  push(text: string): void {
    if (!text) return;
    this.pending += text;
    this.timer ??= setTimeout(() => this.flush(), this.intervalMs);
  }

  /** Sends what is pending; batches go out in order. */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.pending) return this.chain;
    const delta = { step: this.step, attempt: this.attempt, offset: this.sent, text: this.pending };
    this.sent += this.pending.length;
    this.pending = '';
    // Streaming is best effort: a lost batch must not fail the model call (the final text is durable).
    this.chain = this.chain.then(() => this.workflow.signal(tokenDeltasSignal, delta)).catch(this.onError);
    return this.chain;
  }
}
