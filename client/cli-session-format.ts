/** Human output of `agentctl session ...`: concise lines and aligned tables. `--json` output bypasses this module. */
import type { SessionCheckpoint, SessionState, TurnReply } from '../agents/session';
import { formatTable, formatUsage } from './cli-format';
import type { SessionInfo, SessionStats, SessionTotals } from './session-list';

/** First line: session, turn, status and usage; then the answer. */
export function formatReply(reply: TurnReply): string {
  const turn = reply.turn === undefined ? 'message superseded' : `turn ${reply.turn} ${reply.status}`;
  const reason = reply.finishReason === 'max_steps' ? ' (max steps)' : '';
  const head = `${reply.sessionId} ${turn}${reason}; ${formatUsage(reply.usage)}`;
  return reply.answer ? `${head}\n${reply.answer}` : head;
}

export function formatSessionState(state: SessionState): string {
  const { memory } = state;
  const rows: [string, string][] = [
    ['session', state.sessionId],
    ['user', state.user],
    ['template', state.template],
    ['model', state.model],
    [
      'status',
      state.status +
        (state.runningTurn ? ` (turn ${state.runningTurn} running)` : '') +
        (state.closeReason ? ` (${state.closeReason})` : ''),
    ],
    ['turns', `${state.turns}${state.queued ? `, ${state.queued} waiting` : ''}`],
    ['strategy', state.strategy],
    ['usage', formatUsage(state.usage)],
    [
      'memory',
      `${memory.keptTurns} of at most ${memory.keepTurns} turns kept, ${memory.contextChars} chars${memory.summaryThroughTurn ? `; turns 1-${memory.summaryThroughTurn} as ${memory.summary}` : ''}`,
    ],
    ['ttl', `${state.ttlSeconds} s idle${state.expiresAt ? `; expires ${state.expiresAt}` : ''}`],
    ['last activity', state.lastActivityAt],
  ];
  if (state.forkedFrom) rows.push(['forked from', `${state.forkedFrom.sessionId} at turn ${state.forkedFrom.turn}`]);
  if (state.continuations > 0) rows.push(['continued', `${state.continuations} time(s)`]);
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n');
}

/** Head line, then one line per message: `role: content` (tool calls shown by name). */
export function formatCheckpoint(checkpoint: SessionCheckpoint): string {
  const head = `${checkpoint.sessionId} turn ${checkpoint.turn}${checkpoint.status ? ` ${checkpoint.status}` : ''}${checkpoint.at ? ` at ${checkpoint.at}` : ''}${checkpoint.usage ? `; session usage ${formatUsage(checkpoint.usage)}` : ''}`;
  const lines = checkpoint.messages.map((m) => {
    const calls =
      m.role === 'assistant' && m.toolCalls?.length ? ` [calls ${m.toolCalls.map((c) => c.name).join(', ')}]` : '';
    const who = m.role === 'tool' ? `tool ${m.name}` : m.role;
    return `${who}: ${m.content}${calls}`;
  });
  return [head, ...lines].join('\n');
}

export function formatSessions(sessions: SessionInfo[]): string {
  if (sessions.length === 0) return 'no sessions';
  return formatTable(
    ['SESSION ID', 'USER', 'TEMPLATE', 'STATUS', 'TURNS', 'TOKENS', 'COST', 'STARTED'],
    sessions.map((s) => [
      s.sessionId,
      s.user ?? '-',
      s.template ?? '-',
      s.closeReason ? `${s.status} (${s.closeReason})` : s.status,
      String(s.turns),
      String(s.usage.inputTokens + s.usage.outputTokens),
      `$${s.usage.costUsd.toFixed(4)}`,
      s.startTime.toISOString().replace(/\.\d+Z$/, 'Z'),
    ]),
  );
}

export function formatStats(stats: SessionStats): string {
  const row = (name: string, t: SessionTotals) => [
    name,
    String(t.sessions),
    String(t.open),
    String(t.paused),
    String(t.closed),
    String(t.turns),
    String(t.inputTokens),
    String(t.outputTokens),
    `$${t.costUsd.toFixed(4)}`,
  ];
  const users = Object.keys(stats.byUser).sort();
  return formatTable(
    ['USER', 'SESSIONS', 'OPEN', 'PAUSED', 'CLOSED', 'TURNS', 'TOKENS IN', 'TOKENS OUT', 'COST'],
    [...users.map((u) => row(u, stats.byUser[u])), row('(all)', stats.overall)],
  );
}
