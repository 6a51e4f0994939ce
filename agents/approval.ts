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

/**
 * One rule from several that apply to a run (its `options.approval`, and the approval of each of its user's roles
 * in the policy file): the tools of all of them; the shortest timeout any sets (one durable timer per step's wait);
 * and `onTimeout: 'approve'` only when every rule says so (a rule that waits for a person without a timeout, or
 * leaves `onTimeout` out, counts as `reject`), so a call never runs without a person unless every rule allows it.
 * Undefined when no rule applies.
 */
export function mergeApprovals(...rules: (ApprovalOptions | undefined)[]): ApprovalOptions | undefined {
  const present = rules.filter((rule): rule is ApprovalOptions => !!rule);
  if (present.length === 0) return undefined;
  if (present.length === 1) return present[0];
  const tools: string[] = [];
  for (const rule of present) for (const tool of rule.tools) if (!tools.includes(tool)) tools.push(tool);
  const timeouts = present.flatMap((rule) => (rule.timeoutSeconds !== undefined ? [rule.timeoutSeconds] : []));
  if (timeouts.length === 0) return { tools };
  const approve = present.every((rule) => rule.onTimeout === 'approve');
  return { tools, timeoutSeconds: Math.min(...timeouts), onTimeout: approve ? 'approve' : 'reject' };
}

export function needsApproval(options: ApprovalOptions | undefined, tool: string): boolean {
  return !!options && options.tools.some((pattern) => matchesToolPattern(pattern, tool));
}

/** The tool result a rejected call answers the model with. */
export function rejectedToolResult(reason: string | undefined, byTimeout: boolean): string {
  const why = reason ? `: ${reason}` : byTimeout ? ': no decision before the approval timeout' : '';
  return `This tool call was rejected by ${byTimeout ? 'the approval timeout' : 'a person'} and was not run${why}.`;
}
