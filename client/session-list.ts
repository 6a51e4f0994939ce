/**
 * Listing sessions and their stats from Temporal visibility: search attributes (`AgentKind` = `session`,
 * `AgentUser`, `AgentStatus`) and the memo every session refreshes after each turn.
 *
 * Consistency: visibility trails the workflows (well under a second on the dev server, a few seconds with
 * Elasticsearch), and the memo counts a session's turns as of its last finished one. A deleted session is gone
 * from both. Runs a session left behind by continue-as-new are skipped: one row per session.
 */
import type { Client } from '@temporalio/client';
import { z } from 'zod';
import { addUsage, emptyUsage, type Usage } from '../agents/conversation';
import { AgentError, describeZodError, ErrorType } from '../agents/errors';
import { userIdSchema } from '../agents/run';
import {
  agentKindKey,
  agentModelKey,
  agentStatusKey,
  agentTemplateKey,
  agentUserKey,
} from '../agents/search-attributes';
import { sessionListStatuses, sessionMemoKey, type SessionListStatus, type SessionMemo } from '../agents/session';

export interface SessionInfo {
  sessionId: string;
  user?: string;
  template?: string;
  model?: string;
  status: SessionListStatus;
  /** Why it closed: `closed`, `expired`, `stopped`, or Temporal's `terminated` / `cancelled` / `timed_out` / `failed`. */
  closeReason?: string;
  turns: number;
  usage: Usage;
  startTime: Date;
  closeTime?: Date;
  lastActivityAt?: string;
}

export interface ListSessionsFilter {
  user?: string;
  status?: SessionListStatus;
  /** Most sessions to return. Default 100. */
  limit?: number;
}

export interface SessionTotals extends Usage {
  sessions: number;
  open: number;
  paused: number;
  closed: number;
  turns: number;
}

export interface SessionStats {
  overall: SessionTotals;
  byUser: Record<string, SessionTotals>;
  /** When visibility was read, ISO 8601. */
  asOf: string;
}

const listFilterSchema = z
  .object({
    user: userIdSchema.optional(),
    status: z.enum(sessionListStatuses).optional(),
    limit: z.number().int().min(1).max(100_000).optional(),
  })
  .strict();

/** Sessions newest first. */
export async function listSessions(client: Client, filter: ListSessionsFilter = {}): Promise<SessionInfo[]> {
  const parsed = listFilterSchema.safeParse(filter);
  if (!parsed.success)
    throw new AgentError(ErrorType.InvalidInput, `Invalid list filter: ${describeZodError(parsed.error)}`);
  const f = parsed.data;
  // Values are validated above to a safe character set, so quoting cannot be broken.
  const clauses = [`${agentKindKey.name} = 'session'`, `ExecutionStatus != 'ContinuedAsNew'`];
  if (f.user) clauses.push(`${agentUserKey.name} = '${f.user}'`);
  if (f.status === 'closed') clauses.push(`ExecutionStatus != 'Running'`);
  else if (f.status) clauses.push(`ExecutionStatus = 'Running'`, `${agentStatusKey.name} = '${f.status}'`);
  const sessions: SessionInfo[] = [];
  const limit = f.limit ?? 100;
  for await (const execution of client.workflow.list({ query: clauses.join(' AND ') })) {
    const sa = execution.typedSearchAttributes;
    const memo = execution.memo?.[sessionMemoKey] as SessionMemo | undefined;
    const running = execution.status.name === 'RUNNING';
    sessions.push({
      sessionId: execution.workflowId,
      user: sa.get(agentUserKey),
      template: sa.get(agentTemplateKey),
      model: sa.get(agentModelKey),
      status: running ? (sa.get(agentStatusKey) === 'paused' ? 'paused' : 'open') : 'closed',
      closeReason: running ? undefined : (memo?.closeReason ?? temporalCloseReason(execution.status.name)),
      turns: memo?.turns ?? 0,
      usage: memo?.usage ?? emptyUsage(),
      startTime: execution.startTime,
      closeTime: execution.closeTime,
      lastActivityAt: memo?.lastActivityAt,
    });
    if (sessions.length >= limit) break;
  }
  return sessions;
}

export async function sessionStats(client: Client, filter: { user?: string } = {}): Promise<SessionStats> {
  const asOf = new Date().toISOString();
  const sessions = await listSessions(client, { user: filter.user, limit: 100_000 });
  const overall = emptyTotals();
  const byUser: Record<string, SessionTotals> = {};
  for (const s of sessions) {
    for (const totals of [overall, (byUser[s.user ?? '(none)'] ??= emptyTotals())]) add(totals, s);
  }
  return { overall, byUser, asOf };
}

function emptyTotals(): SessionTotals {
  return { sessions: 0, open: 0, paused: 0, closed: 0, turns: 0, ...emptyUsage() };
}

function add(totals: SessionTotals, s: SessionInfo): void {
  totals.sessions++;
  totals[s.status]++;
  totals.turns += s.turns;
  addUsage(totals, s.usage);
}

function temporalCloseReason(status: string): string {
  return (
    { TERMINATED: 'terminated', CANCELLED: 'cancelled', TIMED_OUT: 'timed_out', FAILED: 'failed', COMPLETED: 'closed' }[
      status
    ] ?? status.toLowerCase()
  );
}
