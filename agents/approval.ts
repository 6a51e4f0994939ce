/**
 * Human approval of tool calls: the run options, what `state` lists while a run waits, and the `approve` /
 * `reject` update arguments. Plain types and hand checks, safe to import from workflow code.
 */
import { obj, oneOf, optional, str, arr, num } from './checks';
import { matchesToolPattern } from './run-spec';

export interface ApprovalOptions {
  /** Tool names or globs (e.g. `send_*`) whose calls wait for a person's decision. */
  tools: string[];
  /** How long a call waits before `onTimeout` applies (a durable timer). Default: no limit. */
  timeoutSeconds?: number;
  /** What a timeout decides. Default `reject`. */
  onTimeout?: 'approve' | 'reject';
}

/** A tool call waiting for a decision. */
export interface PendingApproval {
  callId: string;
  tool: string;
  args: Record<string, unknown>;
  /** The step whose model call asked for it. */
  step: number;
  /** Workflow time the run started waiting, ISO 8601. */
  since: string;
}

/** Arguments of `approve` and `reject`: one call, or (no `callId`) every pending call. */
export interface ApprovalDecisionArgs {
  callId?: string;
  /** Why; a rejected call's tool result tells the model. */
  reason?: string;
}

export type ApprovalDecision = 'approved' | 'rejected';

/** What an `approve` / `reject` update returns: the calls it decided. */
export interface ApprovalDecisionResult {
  decided: { callId: string; tool: string; decision: ApprovalDecision }[];
}

/** Checks `options.approval` inside the workflow (the client checks it with zod first). */
export const approvalOptionsCheck = obj({
  tools: arr(str({ min: 1, max: 200 }), { min: 1, max: 100 }),
  timeoutSeconds: optional(num({ int: true, min: 1, max: 31_536_000 })),
  onTimeout: optional(oneOf(['approve', 'reject'])),
});

/** Checks update arguments (absent arguments mean `{}`). */
export const approvalDecisionArgsCheck = obj({
  callId: optional(str({ min: 1, max: 200 })),
  reason: optional(str({ max: 2000 })),
});

export function needsApproval(options: ApprovalOptions | undefined, tool: string): boolean {
  return !!options && options.tools.some((pattern) => matchesToolPattern(pattern, tool));
}

/** The tool result a rejected call answers the model with. */
export function rejectedToolResult(reason: string | undefined, byTimeout: boolean): string {
  const why = reason ? `: ${reason}` : byTimeout ? ': no decision before the approval timeout' : '';
  return `This tool call was rejected by ${byTimeout ? 'the approval timeout' : 'a person'} and was not run${why}.`;
}
