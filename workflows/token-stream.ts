/**
 * `TokenStream`: the streamed text of the model call in flight, fed by batched signals from the activity
 * and read by clients with a query (queries add nothing to history). Only the current call is kept;
 * its final text is recorded once, in the activity's result.
 */
import type { TokenDelta, TokensPage } from '../agents/messages';

/** Characters of one call's streamed text kept for late readers. */
const maxChars = 256_000;

export class TokenStream {
  private step = 0;
  private attempt = 0;
  /** Offset of `text[0]` in the call's text. */
  private base = 0;
  private text = '';
  private done = false;

  /** A new call starts (or a retry of the same call). */
  begin(step: number): void {
    this.step = step;
    this.attempt = 0;
    this.base = 0;
    this.text = '';
    this.done = false;
  }

  /** Applies a batch; duplicates and stale attempts are ignored, so delivery is idempotent. */
  apply(delta: TokenDelta): void {
    if (delta.step !== this.step || this.done) return;
    if (delta.attempt > this.attempt) {
      // A retried call streams from the start again.
      this.attempt = delta.attempt;
      this.base = 0;
      this.text = '';
    }
    if (delta.attempt < this.attempt) return;
    const end = this.base + this.text.length;
    if (delta.offset > end || delta.offset + delta.text.length <= end) return;
    this.text += delta.text.slice(end - delta.offset);
    if (this.text.length > maxChars) {
      const drop = this.text.length - maxChars;
      this.text = this.text.slice(drop);
      this.base += drop;
    }
  }

  finish(): void {
    this.done = true;
  }

  page({ step, from }: { step: number; from: number }, runDone: boolean): TokensPage {
    const sameCall = step === this.step;
    const start = sameCall ? Math.max(from, this.base) : this.base;
    return {
      step: this.step,
      attempt: this.attempt,
      offset: start,
      text: this.text.slice(start - this.base),
      done: this.done,
      runDone,
    };
  }
}
