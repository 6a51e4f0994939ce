/**
 * Typed events of agent runs, shared by workflows (durable per-run events), activities and the worker's
 * event bus. Plain JSON, safe to import from workflow code.
 */
import type { Usage } from './conversation';

/** Events a run records durably in its own state, readable by any client from a sequence number. */
export interface RunEventData {
  'run.started': { template: string; user: string; model: string };
  /** The run was started by `fork` from the state after step `fromStep` of run `fromRunId` (right after `run.started`). */
  'run.forked': { fromRunId: string; fromStep: number };
  'run.paused': { step: number; reason?: string };
  'run.resumed': { step: number };
  'run.stopped': { step: number };
  'run.completed': { step: number; finishReason: string };
  'run.failed': { step: number; errorType: string; message: string };
  'run.cancelled': { step: number };
  'run.continued': { step: number; continuations: number };
  'step.started': { step: number };
  'step.finished': { step: number; toolCalls: number; answered: boolean };
  'model.call': {
    step: number;
    model: string;
    inputTokens: number;
    outputTokens: number;
    cachedTokens: number;
    costUsd: number;
    durationMs: number;
  };
  'tool.call': { step: number; tool: string; isError: boolean };
  /** A tool call waits for a person's decision (`options.approval`). */
  'approval.requested': { step: number; callId: string; tool: string };
  /** `by` is `person` (an approve or reject update) or `timeout` (`onTimeout` applied). */
  'approval.decided': {
    step: number;
    callId: string;
    tool: string;
    decision: 'approved' | 'rejected';
    by: 'person' | 'timeout';
    reason?: string;
  };
  'middleware.rejection': { step: number; kind: string; message: string };
  /** The run continues under template `to` from the next step (agents/handoffs.ts); `step` asked for it. */
  handoff: { from: string; to: string; step: number; reason?: string };
  /** A sub-agent call started its child run `runId` (`<parent id>.<call id>`). */
  'child.started': { step: number; callId: string; runId: string; template: string };
  /** A sub-agent's run ended; `usage` is the child's (its own children's included), rolled into the parent's. */
  'child.finished': {
    step: number;
    callId: string;
    runId: string;
    template: string;
    status: string;
    errorType?: string;
    usage?: Usage;
  };
  /** A model-call attempt failed and is retried after `waitMs`; `attempt` is the one that failed. */
  retry: { step: number; waitMs: number; reason: string; attempt?: number; errorType?: string };
}
export type RunEventType = keyof RunEventData;

export interface RunEvent<T extends RunEventType = RunEventType> {
  /** 1, 2, 3, ... per run, kept across continue-as-new. */
  seq: number;
  type: T;
  /** Workflow time, ISO 8601. */
  at: string;
  runId: string;
  data: RunEventData[T];
}

/** Events only the worker sees: measured around activities and workflow executions. */
export interface WorkerEventData {
  'activity.model_call': {
    model: string;
    template: string;
    outcome: 'ok' | 'error';
    errorType?: string;
    attempt: number;
    durationSeconds: number;
    inputTokens: number;
    outputTokens: number;
    cachedTokens: number;
    costUsd: number;
  };
  'activity.tool_call': { tool: string; outcome: 'ok' | 'error'; durationSeconds: number };
  'activity.retry': { activity: string; attempt: number };
  'activity.rejected': { activity: string; kind: string };
  'workflow.finished': { workflowType: string; template: string; outcome: string; durationSeconds: number };
  'middleware.layer': { middleware: string; hook: 'model' | 'tool'; durationSeconds: number };
}

export type AgentEventData = { [K in RunEventType]: RunEventData[K] } & WorkerEventData;
export type AgentEventType = keyof AgentEventData;

/** Anything on the worker's event bus. */
export interface AgentEvent<T extends AgentEventType = AgentEventType> {
  type: T;
  at: string;
  runId?: string;
  seq?: number;
  data: AgentEventData[T];
}

import type { Sinks } from '@temporalio/workflow';

/** The sink workflows publish through; the worker wires it to the event bus. Not called on replay. */
export interface AgentSinks extends Sinks {
  agentEvents: {
    publish(event: AgentEvent): void;
  };
}
