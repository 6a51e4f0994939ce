/** `agentctl usage --user ID`: the user's tokens, cost and calls this hour, day and month, per model. */
import type { PeriodUsage, UserUsage } from './usage';

/** Human output: one block per period, then calls in flight. `--json` prints the {@link UserUsage} itself. */
export function formatUsage(usage: UserUsage): string {
  const lines = [`usage of ${usage.user} as of ${usage.asOf}`];
  for (const period of [usage.hour, usage.day, usage.month]) lines.push(...formatPeriod(period));
  const { pending } = usage;
  if (pending.calls > 0)
    lines.push(`in flight: ${pending.calls} call(s) holding ~${pending.tokens} tokens, ~$${pending.usd}`);
  return lines.join('\n');
}

function formatPeriod(p: PeriodUsage): string[] {
  const refusals = [
    p.deniedCalls && `${p.deniedCalls} tool call(s) denied`,
    p.rateLimited && `${p.rateLimited} rate-limited`,
    p.quotaRefused && `${p.quotaRefused} refused by quota`,
  ].filter(Boolean);
  const lines = [
    `${p.key.padEnd(20)} ${p.calls} model call(s), ${p.totalTokens} tokens (in ${p.inputTokens}, out ${p.outputTokens}, cached ${p.cachedTokens}), $${p.usd}` +
      (refusals.length ? `; ${refusals.join(', ')}` : ''),
  ];
  for (const [model, t] of Object.entries(p.byModel))
    lines.push(`  ${model}: ${t.calls} call(s), ${t.inputTokens + t.outputTokens} tokens, $${t.usd}`);
  return lines;
}
