/**
 * A session's memory between turns: the turns kept word for word, the summary of older ones, and the rules
 * that bound what the model is sent. Pure functions over plain state, which crosses continue-as-new.
 *
 * Before each turn the oldest turns are folded as needed so that at most `keepTurns` turns (the new one
 * included) are kept word for word, and the earlier ones in at most `maxChars` characters. Folding makes a
 * digest (each turn's user message and answer, clipped), asks the model for a summary (`summary: 'model'`),
 * or drops them (`'none'`).
 */
import type { ChatMessage } from '../agents/conversation';
import { ErrorType } from '../agents/errors';
import {
  memoryMessages,
  type CheckpointResult,
  type MemoryOptions,
  type SessionSummary,
  type TurnRecord,
} from '../agents/session';

export function messageChars(messages: ChatMessage[]): number {
  let chars = 0;
  for (const m of messages)
    chars += m.content.length + (m.role === 'assistant' && m.toolCalls ? JSON.stringify(m.toolCalls).length : 0);
  return chars;
}

/**
 * How many of the oldest kept turns to fold before the next turn, so that memory (with that turn) holds at most
 * `keepTurns` turns and the earlier ones at most `maxChars` characters. A model summary folds down to three
 * quarters of both, so it is not rewritten on every turn.
 */
export function turnsToFold(turns: TurnRecord[], memory: Required<MemoryOptions>): number {
  const chars = turns.map((t) => messageChars(t.messages));
  let total = chars.reduce((a, b) => a + b, 0);
  if (turns.length < memory.keepTurns && total <= memory.maxChars) return 0;
  const share = memory.summary === 'model' ? 0.75 : 1;
  const targetTurns = Math.max(1, Math.floor(memory.keepTurns * share)) - 1;
  const targetChars = Math.floor(memory.maxChars * share);
  let n = 0;
  while (n < turns.length && (turns.length - n > targetTurns || total > targetChars)) total -= chars[n++];
  return n;
}

/** Folds turns into a digest: one clipped line per turn, oldest lines dropped past `maxChars`. */
export function digest(summary: SessionSummary | undefined, folded: TurnRecord[], maxChars: number): SessionSummary {
  const lines = summary?.text ? summary.text.split('\n') : [];
  for (const turn of folded) lines.push(digestLine(turn));
  while (lines.length > 1 && lines.join('\n').length > maxChars) lines.shift();
  return {
    text: lines.join('\n').slice(-maxChars),
    throughTurn: folded[folded.length - 1]?.turn ?? summary?.throughTurn ?? 0,
  };
}

function digestLine(turn: TurnRecord): string {
  const user = turn.messages.find((m) => m.role === 'user')?.content ?? '';
  const tools = [...new Set(turn.messages.filter((m) => m.role === 'tool').map((m) => (m as { name: string }).name))];
  const answer = lastAnswer(turn.messages) || `(no answer: ${turn.status})`;
  return `Turn ${turn.turn}. User: ${clip(user, 400)} | Assistant${tools.length ? ` (used ${tools.join(', ')})` : ''}: ${clip(answer, 300)}`;
}

/** The two messages of a summary call: instructions, then the current summary and the turns to fold in. */
export function summaryPrompt(
  summary: SessionSummary | undefined,
  folded: TurnRecord[],
  maxChars: number,
): ChatMessage[] {
  const transcript = folded
    .map((t) =>
      [
        `[turn ${t.turn}]`,
        ...t.messages.map((m) => `${m.role === 'tool' ? `tool ${m.name}` : m.role}: ${clip(m.content, 2_000)}`),
      ].join('\n'),
    )
    .join('\n');
  return [
    {
      role: 'system',
      content:
        'You keep a running summary of a conversation between a user and an assistant. Fold the new turns into the summary. ' +
        'Keep what the user said about themselves (names, preferences, decisions), open questions and commitments; drop pleasantries. ' +
        `Reply with the updated summary only, at most ${maxChars} characters.`,
    },
    { role: 'user', content: `Current summary:\n${summary?.text || '(none yet)'}\n\nTurns to fold in:\n${transcript}` },
  ];
}

/**
 * Drops a trailing assistant message whose tool calls got no results (the turn was interrupted between the
 * model call and its tools): providers reject a conversation with unanswered tool calls.
 */
export function dropUnansweredToolCalls(messages: ChatMessage[], from: number): void {
  for (let i = messages.length - 1; i >= from; i--) {
    const m = messages[i];
    if (m.role !== 'assistant' || !m.toolCalls?.length) continue;
    const answered = new Set(messages.slice(i + 1).flatMap((r) => (r.role === 'tool' ? [r.toolCallId] : [])));
    if (!m.toolCalls.every((call) => answered.has(call.id))) messages.splice(i);
    return;
  }
}

export function lastAnswer(messages: ChatMessage[]): string {
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i];
    if (m.role === 'assistant' && m.content) return m.content;
  }
  return '';
}

export interface CheckpointSource {
  sessionId: string;
  systemPrompt: string;
  turnCount: number;
  turns: TurnRecord[];
  summary?: SessionSummary;
}

/** The session at the end of `turn`, from the kept turns; folded turns have no checkpoint left. */
export function checkpointAt(source: CheckpointSource, turn: unknown): CheckpointResult {
  const { summary, turns, turnCount } = source;
  if (typeof turn !== 'number' || !Number.isInteger(turn) || turn < 0) {
    return { ok: false, type: ErrorType.InvalidInput, message: `turn must be a whole number from 0 to ${turnCount}` };
  }
  if (turn > turnCount)
    return {
      ok: false,
      type: ErrorType.NotFound,
      message: `Session ${source.sessionId} has ${turnCount} turn(s); no turn ${turn} yet`,
    };
  if (summary && turn <= summary.throughTurn) {
    return {
      ok: false,
      type: ErrorType.NotFound,
      message: `Turn ${turn} of session ${source.sessionId} was folded into its summary; checkpoints are kept for turns ${summary.throughTurn + 1} to ${turnCount} (raise memory.keepTurns to keep more)`,
    };
  }
  const kept = turns.filter((t) => t.turn <= turn);
  const record = kept[kept.length - 1];
  const at = record?.turn === turn ? record : undefined;
  return {
    ok: true,
    checkpoint: {
      sessionId: source.sessionId,
      turn,
      at: at && new Date(at.at).toISOString(),
      status: at?.status,
      answer: at ? lastAnswer(at.messages) : '',
      turnUsage: at?.usage,
      usage: at?.totalUsage,
      messages: memoryMessages(source.systemPrompt, summary, kept),
      summary,
      turns: kept,
    },
  };
}

function clip(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}...` : flat;
}
