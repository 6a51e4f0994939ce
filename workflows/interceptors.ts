/**
 * Workflow interceptors, bundled into the workflow sandbox: report each workflow execution's outcome
 * and duration through the `agentEvents` sink (sinks are not called on replay: nothing counts twice).
 */
import {
  ContinueAsNew,
  isCancellation,
  proxySinks,
  workflowInfo,
  type WorkflowExecuteInput,
  type WorkflowInboundCallsInterceptor,
  type WorkflowInterceptors,
  type Next,
} from '@temporalio/workflow';
import type { AgentSinks } from '../agents/events';
import { agentTemplateKey } from '../agents/search-attributes';
import { workflowNow, workflowNowIso } from './clock';

const { agentEvents } = proxySinks<AgentSinks>();

class WorkflowOutcomeInterceptor implements WorkflowInboundCallsInterceptor {
  async execute(input: WorkflowExecuteInput, next: Next<WorkflowInboundCallsInterceptor, 'execute'>): Promise<unknown> {
    let outcome = 'completed';
    try {
      const result = (await next(input)) as { status?: string } | undefined;
      if (result?.status === 'stopped') outcome = 'stopped';
      return result;
    } catch (err) {
      outcome = err instanceof ContinueAsNew ? 'continued' : isCancellation(err) ? 'cancelled' : 'failed';
      throw err;
    } finally {
      const info = workflowInfo();
      agentEvents.publish({
        type: 'workflow.finished',
        at: workflowNowIso(),
        runId: info.workflowId,
        data: {
          workflowType: info.workflowType,
          template: info.typedSearchAttributes.get(agentTemplateKey) ?? 'none',
          outcome,
          // Workflow time: from the first run of the chain, so continue-as-new does not reset it.
          durationSeconds: Math.max(0, (workflowNow() - info.startTime.getTime()) / 1000),
        },
      });
    }
  }
}

export const interceptors = (): WorkflowInterceptors => ({ inbound: [new WorkflowOutcomeInterceptor()] });
