/**
 * `SubAgents`: a run's sub-agent calls as child workflows (`<parent id>.<call id>`, same task queue, `AgentParent`
 * search attribute), their answers as tool results, their usage rolled into the parent's, and the parent's
 * `stop`, `pause` and `resume` forwarded to the children running.
 *
 * Deterministic code only. Built only for runs whose spec has sub-agent tools, so other runs' commands are unchanged.
 */
import {
  ApplicationFailure,
  CancellationScope,
  CancelledFailure,
  ChildWorkflowFailure,
  TerminatedFailure,
  TimeoutFailure,
  startChild,
  workflowInfo,
  type ChildWorkflowHandle,
  type SignalDefinition,
} from '@temporalio/workflow';
import type { CallToolInput, CallToolResult } from '../activities';
import { addUsage, emptyUsage, type Usage } from '../agents/conversation';
import { ErrorType } from '../agents/errors';
import { pauseSignal, resumeSignal, stopSignal } from '../agents/messages';
import type { RunInput, RunResult } from '../agents/run';
import type { RunSpec } from '../agents/run-spec';
import { legacyRunWorkflowType, runWorkflowType } from '../agents/run-workflow-type';
import { agentParentKey, agentStatusKey, runSearchAttributes } from '../agents/search-attributes';
import {
  agentCallRefusal,
  childRunSpec,
  childWorkflowId,
  defaultMaxAgentDepth,
  type CarriedSubAgents,
  type ChildRun,
} from '../agents/sub-agents';
import type { agentRunWorkflow } from './agent-run';
import type { RunEventLog } from './run-events';

/** Children listed in state; older ones are dropped (their usage stays counted). */
const maxChildrenKept = 200;

/** What the sub-agents read of the loop that calls them. */
export interface SubAgentHost {
  readonly stopRequested: boolean;
  readonly state: { pauseRequested: boolean };
  readonly events: RunEventLog;
}

type ChildHandle = ChildWorkflowHandle<typeof agentRunWorkflow>;

export class SubAgents {
  readonly children: ChildRun[];
  /** Usage of the children that have ended, their own children's included. */
  readonly usage: Usage;
  private readonly running = new Map<string, ChildHandle>();
  private readonly inFlight = new Set<Promise<unknown>>();

  /** Sub-agents of a run whose spec offers any; undefined otherwise (the run then takes no new commands). */
  static of(run: { input: RunInput; spec: RunSpec }, host: SubAgentHost, carried?: CarriedSubAgents) {
    return run.spec.tools.some((tool) => tool.agent !== undefined) ? new SubAgents(run, host, carried) : undefined;
  }

  private constructor(
    private readonly run: { input: RunInput; spec: RunSpec },
    private readonly host: SubAgentHost,
    carried?: CarriedSubAgents,
  ) {
    this.children = carried?.children ?? [];
    this.usage = carried?.usage ?? emptyUsage();
  }

  /** Whether `name` is a sub-agent tool of this run. */
  handles(name: string): boolean {
    return this.run.spec.tools.some((tool) => tool.name === name && tool.agent !== undefined);
  }

  /**
   * Runs the sub-agent `call.name` names as a child workflow; its answer, or its typed failure, is the tool result.
   * `summary` (`<tool>(<args>)`) opens the child's summary in the Temporal UI, as it labels a tool's activity.
   */
  call(call: CallToolInput, summary: string): Promise<CallToolResult> {
    const done = this.callChild(call, summary);
    this.inFlight.add(done);
    const forget = () => void this.inFlight.delete(done);
    void done.then(forget, forget);
    return done;
  }

  /** Waits until every child call has ended (a stopped parent finishes after its children, so usage is exact). */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.inFlight]);
  }

  /** Passes `pause` or `resume` on to the children running. */
  forward(signal: typeof pauseSignal | typeof resumeSignal): void {
    for (const handle of this.running.values()) send(handle, signal);
  }

  /** `own` plus the children's usage, as the run reports it. */
  total(own: Usage): Usage {
    return addUsage({ ...own }, this.usage);
  }

  carry(): CarriedSubAgents {
    return { children: this.children, usage: this.usage };
  }

  private async callChild(call: CallToolInput, summary: string): Promise<CallToolResult> {
    const { input, spec } = this.run;
    const target = spec.tools.find((tool) => tool.name === call.name)!.agent!;
    const template = spec.agents?.[target];
    if (!template)
      return errorResult(ErrorType.UnknownTemplate, `Sub-agent "${target}" was not resolved when this run started`);
    const lineage = input.parent?.lineage ?? [];
    // Checked at start too; this holds even for inputs made by hand.
    const refusal = agentCallRefusal(
      lineage,
      spec.template,
      target,
      input.options?.maxAgentDepth ?? defaultMaxAgentDepth,
    );
    if (refusal) return errorResult(refusal.type, refusal.message);
    const parentId = workflowInfo().workflowId;
    const childInput: RunInput = {
      template: target,
      model: input.model,
      user: input.user,
      ...(input.options ? { options: input.options } : {}),
      spec: childRunSpec(template, call.args, spec.agents!),
      parent: { workflowId: parentId, lineage: [...lineage, spec.template] },
    };
    const child: ChildRun = {
      runId: childWorkflowId(parentId, call.toolCallId),
      template: target,
      callId: call.toolCallId,
      step: call.step,
      status: 'running',
    };
    const step = CancellationScope.current();
    if (step.consideredCancelled) throw new CancelledFailure('The step was cancelled before the sub-agent started');
    // Shielded from the step's cancellation: a stop is passed on as our `stop` signal (the child ends "stopped"
    // with its partial answer); only a cancellation of the parent cancels the child.
    return CancellationScope.nonCancellable(() => {
      const scope = new CancellationScope();
      return scope.run(() => this.runChild(child, childInput, summary, step, scope));
    });
  }

  private async runChild(
    child: ChildRun,
    childInput: RunInput,
    callSummary: string,
    step: CancellationScope,
    scope: CancellationScope,
  ): Promise<CallToolResult> {
    const { events } = this.host;
    // Listed in call order, before the start resolves (starts of one step may resolve in any order).
    this.children.push(child);
    if (this.children.length > maxChildrenKept) this.children.splice(0, this.children.length - maxChildrenKept);
    let handle: ChildHandle;
    try {
      // A child is of its parent's type: an `agentRunWorkflow` parent replays the child start it recorded.
      const legacy = workflowInfo().workflowType === legacyRunWorkflowType;
      handle = await startChild<typeof agentRunWorkflow>(legacy ? legacyRunWorkflowType : runWorkflowType, {
        workflowId: child.runId,
        args: [childInput],
        // Cancel or terminate of the parent reaches its children.
        parentClosePolicy: 'REQUEST_CANCEL',
        // Search attributes are not checked on replay; their order is free.
        typedSearchAttributes: [
          ...runSearchAttributes({ user: childInput.user, template: child.template, model: childInput.model }),
          ...(legacy ? [{ key: agentStatusKey, value: 'running' }] : []),
          { key: agentParentKey, value: childInput.parent!.workflowId },
        ],
        // User metadata, not checked on replay: children recorded with the older summary replay unchanged.
        staticSummary: `${callSummary} · ${child.template} sub-agent of ${childInput.parent!.workflowId} for ${childInput.user}`,
      });
    } catch (err) {
      child.status = 'failed';
      child.error = { type: ErrorType.RunFailed, message: `did not start: ${messageOf(err)}` };
      return errorResult(child.error.type, `Sub-agent "${child.template}" ${child.error.message}`);
    }
    this.running.set(child.runId, handle);
    events.emit('child.started', {
      step: child.step,
      callId: child.callId,
      runId: child.runId,
      template: child.template,
    });
    let parentCancelled = false;
    void step.cancelRequested.catch(() => {
      if (!this.running.has(child.runId)) return;
      if (this.host.stopRequested) send(handle, stopSignal);
      else {
        parentCancelled = true;
        scope.cancel();
      }
    });
    if (this.host.state.pauseRequested) send(handle, pauseSignal);
    try {
      const result = await handle.result();
      child.status = result.status;
      this.finished(child, result.usage);
      return answerOf(child.template, result);
    } catch (err) {
      const failure = childFailure(err);
      child.status = failure.status;
      child.error = { type: failure.type, message: failure.message };
      this.finished(child, failure.usage);
      if (parentCancelled) throw err;
      return errorResult(failure.type, failure.message);
    } finally {
      this.running.delete(child.runId);
    }
  }

  private finished(child: ChildRun, usage: Usage | undefined): void {
    if (usage) {
      child.usage = usage;
      addUsage(this.usage, usage);
    }
    this.host.events.emit('child.finished', {
      step: child.step,
      callId: child.callId,
      runId: child.runId,
      template: child.template,
      status: child.status,
      ...(child.error ? { errorType: child.error.type } : {}),
      ...(usage ? { usage } : {}),
    });
  }
}

/**
 * A sub-agent run's failure with its usage attached (the parent rolls it up; a failure carries no result). Only
 * runs with a parent use it; the type and message stay the child's.
 */
export function failureForParent(failure: unknown, usage: Usage): unknown {
  if (!(failure instanceof ApplicationFailure)) return failure;
  return ApplicationFailure.create({
    type: failure.type ?? ErrorType.RunFailed,
    message: failure.message,
    nonRetryable: failure.nonRetryable ?? undefined,
    details: [...(failure.details ?? []), { subAgentUsage: usage }],
  });
}

function send(handle: ChildHandle, signal: SignalDefinition): void {
  // The child may have just ended: a signal it cannot take changes nothing.
  void handle.signal(signal).catch(() => undefined);
}

function answerOf(template: string, result: RunResult): CallToolResult {
  const answer = result.output !== undefined ? JSON.stringify(result.output) : result.answer;
  if (result.status === 'stopped')
    return {
      content: `Stopped: sub-agent "${template}" was stopped${answer ? `; its last answer: ${answer}` : ' before it answered'}`,
      isError: true,
    };
  return { content: answer || `Sub-agent "${template}" ended without an answer`, isError: false };
}

function errorResult(type: string, message: string): CallToolResult {
  return { content: `${type}: ${message}`, isError: true };
}

function childFailure(err: unknown): { status: ChildRun['status']; type: string; message: string; usage?: Usage } {
  const cause = err instanceof ChildWorkflowFailure ? err.cause : err;
  if (cause instanceof CancelledFailure)
    return { status: 'cancelled', type: ErrorType.Cancelled, message: 'the sub-agent run was cancelled' };
  if (cause instanceof TerminatedFailure)
    return { status: 'terminated', type: ErrorType.Terminated, message: 'the sub-agent run was terminated' };
  if (cause instanceof TimeoutFailure)
    return { status: 'timed_out', type: ErrorType.RunFailed, message: 'the sub-agent run timed out' };
  if (cause instanceof ApplicationFailure) {
    const usage = (cause.details ?? []).find(
      (d): d is { subAgentUsage: Usage } => typeof d === 'object' && d !== null && 'subAgentUsage' in d,
    )?.subAgentUsage;
    return {
      status: 'failed',
      type: cause.type ?? ErrorType.RunFailed,
      message: cause.message,
      ...(usage ? { usage } : {}),
    };
  }
  return { status: 'failed', type: ErrorType.RunFailed, message: messageOf(cause) };
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
