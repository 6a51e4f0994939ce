/** Periodic heartbeats for an activity's long call: Temporal notices a dead worker, and a cancel reaches the call. */
import type { Context } from '@temporalio/activity';

/**
 * Heartbeats every `intervalMs` (the SDK throttles what it sends) until the returned stop is called. The first
 * one comes after `intervalMs`, so a call that ends sooner costs no heartbeat; the heartbeat timeout runs from
 * the start of the attempt either way.
 */
export function startHeartbeats(ctx: Context, details: unknown, intervalMs = 1000): () => void {
  const timer = setInterval(() => ctx.heartbeat(details), intervalMs);
  return () => clearInterval(timer);
}
