/**
 * `agentRun` (and `agentRunWorkflow` before it): one agent run as a durable workflow, driving an `AgentLoop` to an
 * answer.
 *
 * Deterministic code only. The conversation lives in workflow state; activities read it by query, so
 * each message enters history once. Long runs continue-as-new carrying one plain state object.
 */
/* eslint-disable @typescript-eslint/no-require-imports -- modules of features most runs never use load on use */
import { ContinueAsNew, continueAsNew, setHandler, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import { emptyUsage } from '../agents/conversation';
import { agentFailure } from '../agents/errors';
import {
  approveUpdate,
  conversationQuery,
  messageDescriptions,
  pauseSignal,
  rejectUpdate,
  resumeSignal,
  stateQuery,
  stopSignal,
} from '../agents/messages';
import type { FinishReason, RunInput, RunResult, RunState } from '../agents/run';
import { specToolNames, type RunSpec } from '../agents/run-spec';
import { legacyRunWorkflowType, runStatusAttribute } from '../agents/run-workflow-type';
import { agentStatusKey } from '../agents/search-attributes';
import { AgentLoop } from './agent-loop';
import { continueAsNewCarrying, historyIsLong } from './continue-as-new';
import type * as Handoff from './handoff';
import { registerObservationHandlers } from './observation-handlers';
import { RunEventLog } from './run-events';
import { setStatusAttribute } from './status-attribute';
import { resolveRunInput } from './run-input';
import type * as SubAgentsModule from './sub-agents';
import type { SubAgents } from './sub-agents';

/** Both run types (`agentRun`, `agentRunWorkflow`): see agents/run-workflow-type.ts for what differs. */
export async function agentRunWorkflow(input: RunInput): Promise<RunResult> {
  const resolution = resolveRunInput(input);
  if (!resolution.ok) {
    upsertSearchAttributes([{ key: agentStatusKey, value: 'failed' }]);
    throw agentFailure(resolution.type, resolution.message, { nonRetryable: true });
  }
  const run = new AgentRun({ input, spec: resolution.spec });
  run.registerHandlers();
  return run.execute();
}

class AgentRun {
  private readonly loop: AgentLoop;
  private readonly continuations: number;
  /** Present when the spec offers sub-agents. */
  private readonly team?: SubAgents;

  constructor(private readonly run: { input: RunInput; spec: RunSpec }) {
    const { input } = run;
    const carried = input.carried;
    const legacy = workflowInfo().workflowType === legacyRunWorkflowType;
    this.continuations = carried?.continuations ?? 0;
    this.loop = new AgentLoop(
      {
        template: run.spec.template,
        model: input.model,
        tools: specToolNames(run.spec),
        user: input.user,
        modelTimeoutSeconds: input.options?.modelTimeoutSeconds ?? 300,
        outputSchema: run.spec.outputSchema,
        // Legacy inputs name built-in tools only: their calls bind the worker's definitions, as they did then.
        toolDefinitions: input.spec ? run.spec.tools : undefined,
        streamTokens: input.options?.streamTokens,
        approval: input.options?.approval,
        appendOnly: true,
        carryCommits: true,
        patchedChanges: legacy,
      },
      {
        // A copy: the loop appends to it, and the recorded spec (carried on continue-as-new) must stay as started.
        messages: carried?.messages ?? [...run.spec.messages],
        step: carried?.step ?? 0,
        usage: carried?.usage ?? emptyUsage(),
        repairsUsed: carried?.repairsUsed ?? 0,
        pauseRequested: carried?.pauseRequested ?? false,
        ...(carried?.handoff ? { handoff: carried.handoff } : {}),
      },
      // An `agentRun` upserts only when the attribute changes: none while it runs or as it completes.
      legacy
        ? (status) => upsertSearchAttributes([{ key: agentStatusKey, value: status }])
        : (status) => setStatusAttribute(runStatusAttribute(status)),
      new RunEventLog(carried?.events),
    );
    // Modules of features most runs never use are required only by the runs that do (see workflows/index.ts).
    if (run.spec.handoffs) (require('./handoff') as typeof Handoff).RunHandoffs.attach(this.loop, run.spec);
    // A fork starts from carried state its client built, without events: its log begins here, as a new run's does.
    const forked = input.forkedFrom && carried && !carried.events ? input.forkedFrom : undefined;
    if (!carried || forked)
      this.loop.events.emit('run.started', { template: run.spec.template, user: input.user, model: input.model });
    if (forked) this.loop.events.emit('run.forked', { fromRunId: forked.runId, fromStep: forked.step });
    if (run.spec.tools.some((tool) => tool.agent !== undefined))
      this.team = (require('./sub-agents') as typeof SubAgentsModule).SubAgents.of(run, this.loop, carried?.subAgents);
    this.loop.toolRunner = this.team;
  }

  /** Steps allowed: the spec's, or after a handoff the target's budget counted from it. */
  private maxSteps(): number {
    return this.loop.state.handoff?.stepLimit ?? this.run.spec.maxSteps;
  }

  registerHandlers(): void {
    const { loop } = this;
    const { team } = this;
    setHandler(
      pauseSignal,
      () => {
        loop.pause();
        team?.forward(pauseSignal);
      },
      { description: messageDescriptions.pause },
    );
    setHandler(
      resumeSignal,
      () => {
        loop.resume();
        team?.forward(resumeSignal);
      },
      { description: messageDescriptions.resume },
    );
    setHandler(stopSignal, () => loop.stop(), { description: messageDescriptions.stop });
    // Registered on every run (no commands): a role's approval rule may gate a run without `options.approval`;
    // a run with nothing pending refuses with NotAwaitingApproval.
    setHandler(approveUpdate, (args) => loop.approvals.decide('approved', args), {
      validator: (args) => loop.approvals.validate(args),
      description: messageDescriptions.approve,
    });
    setHandler(rejectUpdate, (args) => loop.approvals.decide('rejected', args), {
      validator: (args) => loop.approvals.validate(args),
      description: messageDescriptions.reject,
    });
    setHandler(stateQuery, () => this.state(), { description: messageDescriptions.state });
    setHandler(conversationQuery, (args) => loop.conversationSlice(args), {
      description: messageDescriptions.conversation,
    });
    registerObservationHandlers(loop);
  }

  async execute(): Promise<RunResult> {
    const { loop } = this;
    try {
      for (;;) {
        if (loop.parkRequested) await loop.waitWhilePaused();
        if (loop.stopRequested) return await this.end('stopped');
        if (loop.state.step >= this.maxSteps()) return await this.end('max_steps');
        if (historyIsLong(this.run.input.options)) await this.continueAsNew();
        const outcome = await loop.runStep(this.maxSteps());
        if (outcome === 'answer') return await this.end('answer');
        if (outcome === 'stopped') {
          // Children stopped with the step: their results (and usage) come in before the run ends.
          if (this.team) await this.team.settled();
          return await this.end('stopped');
        }
      }
    } catch (err) {
      // A failed or cancelled run leaves nothing it carried out of the ledger (a continued one carries it on).
      if (!(err instanceof ContinueAsNew)) await loop.commitCarried();
      const failure = loop.fail(err);
      if (!this.run.input.parent) throw failure;
      throw (require('./sub-agents') as typeof SubAgentsModule).failureForParent(failure, this.usage());
    }
  }

  private continueAsNew(): Promise<never> {
    const { loop } = this;
    const continuations = this.continuations + 1;
    return continueAsNewCarrying(
      loop.events,
      () => ({ step: loop.state.step, continuations }),
      () =>
        continueAsNew<typeof agentRunWorkflow>({
          ...this.run.input,
          carried: {
            ...loop.state,
            continuations,
            events: loop.events.carry(),
            ...(this.team ? { subAgents: this.team.carry() } : {}),
          },
        }),
    );
  }

  /** The ledger gets what the run still carries, then the run ends. */
  private async end(reason: FinishReason): Promise<RunResult> {
    await this.loop.commitCarried();
    return this.finish(reason);
  }

  private finish(reason: FinishReason): RunResult {
    const status = reason === 'stopped' ? 'stopped' : 'completed';
    if (status === 'completed')
      this.loop.events.emit('run.completed', { step: this.loop.state.step, finishReason: reason });
    this.loop.setStatus(status);
    const { state } = this.loop;
    return {
      runId: workflowInfo().workflowId,
      status,
      finishReason: reason,
      answer: this.loop.lastAnswer(),
      output: this.loop.output,
      steps: state.step,
      usage: this.usage(),
      ...(this.team ? { ownUsage: state.usage } : {}),
    };
  }

  /** The run's usage, its sub-agents' included. */
  private usage(): RunResult['usage'] {
    const own = this.loop.state.usage;
    return this.team ? this.team.total(own) : own;
  }

  private state(): RunState {
    const { input } = this.run;
    const { loop } = this;
    return {
      runId: workflowInfo().workflowId,
      template: loop.config.template,
      user: input.user,
      model: input.model,
      status: loop.status,
      step: loop.state.step,
      maxSteps: this.maxSteps(),
      pauseRequested: loop.state.pauseRequested,
      stopRequested: loop.stopRequested,
      usage: this.usage(),
      ...(this.team ? { ownUsage: loop.state.usage, children: this.team.children } : {}),
      ...(input.parent ? { parent: input.parent.workflowId } : {}),
      messageCount: loop.state.messages.length,
      continuations: this.continuations,
      error: loop.error,
      ...(input.options?.approval || loop.awaitsApproval() ? { pendingApprovals: loop.approvals.list() } : {}),
      ...(input.forkedFrom ? { forkedFrom: input.forkedFrom } : {}),
      ...(loop.handoffs ? { handoffs: loop.state.handoff?.chain ?? [] } : {}),
    };
  }
}
