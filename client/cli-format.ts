/**
 * Human output of `agentctl`: concise lines and aligned tables. `--json` output bypasses this module.
 */
import type { Usage } from '../agents/conversation';
import type { RunResult, RunState } from '../agents/run';
import type { RunSummary } from './agent-client';
import type { RunHistory } from './run-history';

/** Columns padded to their widest cell, two spaces apart; the last column is not padded. */
export function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

export function formatRuns(runs: RunSummary[]): string {
  if (runs.length === 0) return 'no runs';
  return formatTable(
    ['RUN ID', 'TEMPLATE', 'USER', 'STATUS', 'MODEL', 'STARTED'],
    runs.map((r) => [
      r.runId,
      r.template ?? '-',
      r.user ?? '-',
      r.status ?? '-',
      r.model ?? '-',
      formatTime(r.startTime),
    ]),
  );
}

/** First line: id, status, reason and counts; then the structured output or the answer. */
export function formatResult(result: RunResult): string {
  const head = `${result.runId} ${result.status} (${result.finishReason}) after ${plural(result.steps, 'step')}; ${formatUsage(result.usage)}`;
  const body = result.output !== undefined ? JSON.stringify(result.output, null, 2) : result.answer;
  return body ? `${head}\n${body}` : head;
}

export function formatState(state: RunState): string {
  const rows: [string, string][] = [
    ['run', state.runId],
    ['template', state.template],
    ['user', state.user],
    ['model', state.model],
    ['status', state.status + pendingRequests(state)],
    ['step', `${state.step} of at most ${state.maxSteps}`],
    ['usage', formatUsage(state.usage)],
    ['messages', String(state.messageCount)],
  ];
  if (state.forkedFrom) rows.push(['forked from', `${state.forkedFrom.runId} at step ${state.forkedFrom.step}`]);
  if (state.ownUsage) rows.push(['own usage', formatUsage(state.ownUsage)]);
  if (state.parent) rows.push(['parent', state.parent]);
  for (const c of state.children ?? [])
    rows.push(['child', `${c.runId}  ${c.template}  ${c.status}${c.usage ? `  ${formatUsage(c.usage)}` : ''}`]);
  if (state.continuations > 0) rows.push(['continued', plural(state.continuations, 'time')]);
  if (state.handoffs?.length)
    rows.push([
      'handoffs',
      [state.handoffs[0].from, ...state.handoffs.map((h) => `${h.to} (step ${h.step})`)].join(' → '),
    ]);
  if (state.error) rows.push(['error', `${state.error.type}: ${state.error.message}`]);
  for (const p of state.pendingApprovals ?? [])
    rows.push([
      'awaiting',
      `${p.callId}  ${p.tool}(${clip(JSON.stringify(p.args), 80)})  step ${p.step}, since ${p.since}`,
    ]);
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n');
}

/** One line per step; tool calls as `name(args)`, `!` after a failed or rejected one; `-` for what is not known. */
export function formatHistory(history: RunHistory): string {
  if (history.steps.length === 0) return `${history.runId} (${history.status}): no finished steps`;
  return formatTable(
    ['STEP', 'MODEL', 'TOKENS IN/OUT', 'COST', 'ANSWERED', 'TOOL CALLS'],
    history.steps.map((s) => [
      String(s.step),
      s.inherited ? '(inherited)' : (s.model ?? '-'),
      s.inputTokens === undefined ? '-' : `${s.inputTokens}/${s.outputTokens}`,
      s.costUsd === undefined ? '-' : `$${s.costUsd.toFixed(4)}`,
      s.answered ? 'yes' : 'no',
      s.toolCalls.map((c) => `${c.name}(${clip(c.args, 60)})${c.isError ? '!' : ''}`).join(' ') || '-',
    ]),
  );
}

export function formatUsage(usage: Usage): string {
  const parts = [
    plural(usage.modelCalls, 'model call'),
    plural(usage.toolCalls, 'tool call'),
    `${usage.inputTokens} in / ${usage.outputTokens} out tokens`,
  ];
  if (usage.costUsd > 0) parts.push(`$${usage.costUsd.toFixed(4)}`);
  return parts.join(', ');
}

/** A signal accepted but not yet acted on shows next to the status, e.g. `running (pause requested)`. */
function pendingRequests(state: RunState): string {
  if (state.stopRequested && state.status === 'running') return ' (stop requested)';
  if (state.pauseRequested && state.status === 'running') return ' (pause requested)';
  return '';
}

/** UTC, to the second: `2025-01-31 14:05:09Z`. */
function formatTime(date: Date | undefined): string {
  return date
    ? date
        .toISOString()
        .replace('T', ' ')
        .replace(/\.\d+Z$/, 'Z')
    : '-';
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 3)}...` : text;
}
