/** Periodic heartbeats for an activity's long call: Temporal notices a dead worker, and a cancel reaches the call. */
import type { Context } from '@temporalio/activity';

/** Heartbeats now and every `intervalMs` (the SDK throttles what it sends) until the returned stop is called. */
export function startHeartbeats(ctx: Context, details: unknown, intervalMs = 1000): () => void {
  ctx.heartbeat(details);
  const timer = setInterval(() => ctx.heartbeat(details), intervalMs);
  return () => clearInterval(timer);
}
