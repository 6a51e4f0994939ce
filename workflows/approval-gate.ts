/**
 * `ApprovalGate`: parks a step's tool calls that need a person's decision (`options.approval`, or a role's approval
 * rule recorded with the model's reply) until each is approved or rejected by the `approve` / `reject` updates, or
 * the approval timeout applies `onTimeout`.
 *
 * Deterministic code only. Waiting is a `condition` (with a durable timer when a timeout is set): no activity,
 * no worker slot. Waits happen inside a step, so continue-as-new (at step boundaries) never meets pending calls.
 */
import { condition, setCurrentDetails } from '@temporalio/workflow';
import {
  approvalDecisionArgsCheck,
  needsApproval,
  type ApprovalDecision,
  type ApprovalDecisionArgs,
  type ApprovalDecisionResult,
  type ApprovalOptions,
  type PendingApproval,
} from '../agents/approval';
import type { ToolCall } from '../agents/conversation';
import { agentFailure, ErrorType } from '../agents/errors';
import { workflowNowIso } from './clock';
import type { RunEventLog } from './run-events';

export interface Verdict {
  decision: ApprovalDecision;
  reason?: string;
  byTimeout: boolean;
}

export class ApprovalGate {
  private pending: PendingApproval[] = [];
  private readonly verdicts = new Map<string, Verdict>();

  constructor(private readonly events: RunEventLog) {}

  /** Calls awaiting a decision, for the `state` query. */
  list(): PendingApproval[] {
    return this.pending.map((p) => ({ ...p }));
  }

  /** Some call awaits a decision. */
  waiting(): boolean {
    return this.pending.length > 0;
  }

  /** Update validator: refuses bad arguments, a run not waiting, or an unknown call id; changes nothing. */
  validate(args: ApprovalDecisionArgs | undefined): void {
    const problem = approvalDecisionArgsCheck(args ?? {}, '');
    if (problem) throw agentFailure(ErrorType.InvalidInput, `Invalid approval arguments: ${problem}`);
    if (this.pending.length === 0)
      throw agentFailure(ErrorType.NotAwaitingApproval, 'The run is not awaiting approval of any tool call');
    const callId = args?.callId;
    if (callId !== undefined && !this.pending.some((p) => p.callId === callId)) {
      throw agentFailure(
        ErrorType.UnknownToolCall,
        `No pending tool call "${callId}"; pending: ${this.pending.map((p) => p.callId).join(', ')}`,
      );
    }
  }

  /** Update handler (after `validate`): decides one pending call, or all of them. */
  decide(decision: ApprovalDecision, args: ApprovalDecisionArgs | undefined): ApprovalDecisionResult {
    const callId = args?.callId;
    const chosen = this.pending.filter((p) => callId === undefined || p.callId === callId);
    for (const p of chosen) this.record(p, { decision, reason: args?.reason, byTimeout: false });
    return { decided: chosen.map((p) => ({ callId: p.callId, tool: p.tool, decision })) };
  }

  /**
   * Waits until every call of `calls` that `options` gates is decided; returns the verdicts by call id (calls
   * that need none are absent). `onWait` is told when the wait starts and ends (run status).
   */
  async gate(
    options: ApprovalOptions,
    calls: ToolCall[],
    step: number,
    onWait: (waiting: boolean) => void,
  ): Promise<Map<string, Verdict>> {
    const gated = calls.filter((call) => needsApproval(options, call.name));
    if (gated.length === 0) return new Map();
    const since = workflowNowIso();
    this.pending = gated.map((call) => ({ callId: call.id, tool: call.name, args: call.args, step, since }));
    for (const p of this.pending) this.events.emit('approval.requested', { step, callId: p.callId, tool: p.tool });
    onWait(true);
    setCurrentDetails(
      `step ${step}: awaiting approval of ${this.pending.map((p) => `${p.tool} (${p.callId})`).join(', ')}`,
    );
    try {
      const timeout = options.timeoutSeconds;
      const decided = await condition(
        () => this.pending.length === 0,
        timeout !== undefined ? timeout * 1000 : undefined,
      );
      if (!decided) {
        const decision = options.onTimeout === 'approve' ? 'approved' : 'rejected';
        for (const p of [...this.pending]) this.record(p, { decision, byTimeout: true });
      }
      const verdicts = new Map<string, Verdict>();
      for (const call of gated) verdicts.set(call.id, this.verdicts.get(call.id)!);
      return verdicts;
    } finally {
      // Stopped or cancelled while waiting: nothing stays pending.
      this.pending = [];
      this.verdicts.clear();
      onWait(false);
    }
  }

  private record(p: PendingApproval, verdict: Verdict): void {
    this.verdicts.set(p.callId, verdict);
    this.pending = this.pending.filter((q) => q !== p);
    this.events.emit('approval.decided', {
      step: p.step,
      callId: p.callId,
      tool: p.tool,
      decision: verdict.decision,
      by: verdict.byTimeout ? 'timeout' : 'person',
      ...(verdict.reason ? { reason: verdict.reason } : {}),
    });
  }
}
