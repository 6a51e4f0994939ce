/** Turns Temporal client errors into `AgentError`s with our stable types, by error class and gRPC status name. */
import {
  isGrpcServiceError,
  QueryNotRegisteredError,
  QueryRejectedError,
  ServiceError,
  WorkflowContinuedAsNewError,
  WorkflowFailedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type WorkflowHandle,
} from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { ApplicationFailure, CancelledFailure, TerminatedFailure } from '@temporalio/common';
import { status as grpcStatus } from '@grpc/grpc-js';
import { AgentError, ErrorType } from '../agents/errors';

export function toAgentError(err: unknown, runId?: string): unknown {
  if (err instanceof AgentError) return err;
  if (isNotFound(err)) return new AgentError(ErrorType.NotFound, `No run ${runId ?? ''} found`.replace('  ', ' '));
  if (err instanceof WorkflowFailedError) {
    const cause = err.cause;
    if (cause instanceof ApplicationFailure)
      return new AgentError((cause.type ?? ErrorType.RunFailed) as ErrorType, cause.message, cause.details);
    if (cause instanceof CancelledFailure) return new AgentError(ErrorType.Cancelled, `Run ${runId} was cancelled`);
    if (cause instanceof TerminatedFailure) return new AgentError(ErrorType.Terminated, `Run ${runId} was terminated`);
    return new AgentError(ErrorType.RunFailed, cause?.message ?? err.message);
  }
  if (
    err instanceof QueryRejectedError &&
    err.status === temporal.api.enums.v1.WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_PAUSED
  ) {
    return new AgentError(
      ErrorType.PausedByTemporal,
      `Run ${runId} is paused by Temporal's workflow pause; run "temporal workflow unpause --workflow-id ${runId}" to let it go on`,
    );
  }
  // An update refused by its validator or failed by its handler: the workflow's typed failure.
  if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure) {
    return new AgentError((err.cause.type ?? ErrorType.RunFailed) as ErrorType, err.cause.message, err.cause.details);
  }
  if (err instanceof QueryNotRegisteredError) return new AgentError(ErrorType.NotFound, `${runId} is not an agent run`);
  return err;
}

/** No such workflow: the SDK's `WorkflowNotFoundError`, or gRPC NOT_FOUND from a raw service call. */
export function isNotFound(err: unknown): boolean {
  return err instanceof WorkflowNotFoundError || grpcCode(err) === grpcStatus.NOT_FOUND;
}

/** The gRPC status of a service error, raw or wrapped by the SDK in a `ServiceError`. */
export function grpcCode(err: unknown): grpcStatus | undefined {
  if (isGrpcServiceError(err)) return err.code;
  if (err instanceof ServiceError && isGrpcServiceError(err.cause)) return err.cause.code;
  return undefined;
}

/**
 * A signal, update or cancel that reached no running workflow: none with that id, or a closed one (the server
 * answers NOT_FOUND for both), or a run that continued as new.
 */
export function isClosedRunError(err: unknown): boolean {
  return isNotFound(err) || err instanceof WorkflowContinuedAsNewError;
}

/** {@link isClosedRunError} for a workflow that exists: it has closed (not: it never was). */
export async function reachedClosedWorkflow(err: unknown, workflow: WorkflowHandle): Promise<boolean> {
  if (!isClosedRunError(err)) return false;
  return workflow.describe().then(
    () => true,
    () => false,
  );
}
