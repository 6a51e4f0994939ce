/** Turns Temporal client errors into `AgentError`s with our stable types. */
import {
  WorkflowFailedError,
  WorkflowNotFoundError,
  QueryNotRegisteredError,
} from '@temporalio/client';
import { ApplicationFailure, CancelledFailure, TerminatedFailure } from '@temporalio/common';
import { AgentError, ErrorType } from '../agents/errors';

export function toAgentError(err: unknown, runId?: string): unknown {
  if (err instanceof AgentError) return err;
  if (/already completed/i.test(String((err as Error)?.message))) {
    return new AgentError(ErrorType.RunFinished, `Run ${runId ?? ''} has already finished; it takes no more signals`);
  }
  if (err instanceof WorkflowNotFoundError || (err as { code?: number })?.code === 5) {
    return new AgentError(ErrorType.NotFound, `No run ${runId ?? ''} found`.replace('  ', ' '));
  }
  if (err instanceof WorkflowFailedError) {
    const cause = err.cause;
    if (cause instanceof ApplicationFailure) return new AgentError((cause.type ?? 'Error') as ErrorType, cause.message, cause.details);
    if (cause instanceof CancelledFailure) return new AgentError(ErrorType.Cancelled, `Run ${runId} was cancelled`);
    if (cause instanceof TerminatedFailure) return new AgentError(ErrorType.Terminated, `Run ${runId} was terminated`);
    return new AgentError(ErrorType.RunFailed, cause?.message ?? err.message);
  }
  if (err instanceof QueryNotRegisteredError) return new AgentError(ErrorType.NotFound, `${runId} is not an agent run`);
  return err;
}
