/**
 * A first-in, first-out lock for workflow code: what keeps a session's turns from interleaving.
 *
 * Promise-based and deterministic (no timers, no Node APIs). Holders run in the order they asked, which for
 * update handlers is the order Temporal delivered the updates.
 */
export class FifoLock {
  private tail: Promise<void> = Promise.resolve();
  private pending = 0;

  /** Holders plus waiters. */
  get size(): number {
    return this.pending;
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    const previous = this.tail;
    let release!: () => void;
    this.tail = new Promise<void>((resolve) => (release = resolve));
    this.pending++;
    try {
      await previous;
      return await fn();
    } finally {
      this.pending--;
      release();
    }
  }
}
