/**
 * Prometheus metrics of agent runs, fed by the event bus. Names follow Prometheus conventions (base units,
 * `_total`, `_seconds`); labels are bounded (template, model without options, tool, outcome), never ids.
 */
import { Counter, Histogram, type Registry } from 'prom-client';
import type { EventBus } from './events/event-bus';
import { isRunWorkflowType } from '../agents/run-workflow-type';

/** Model labels drop `?options` so a spec cannot create unbounded series. */
export function modelLabel(spec: string): string {
  return spec.split('?')[0].slice(0, 100);
}

export interface AgentMetrics {
  eventHandlerErrors: Counter<'handler'>;
}

export function registerAgentMetrics(registry: Registry, bus: EventBus): AgentMetrics {
  const registers = [registry];
  const runs = new Counter({
    name: 'agent_runs_total',
    help: 'Agent runs finished, by template and outcome.',
    labelNames: ['template', 'outcome'],
    registers,
  });
  const runDuration = new Histogram({
    name: 'agent_run_duration_seconds',
    help: 'Wall time of finished agent runs (from workflow start, including pauses).',
    labelNames: ['template'],
    buckets: [0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600, 14400, 86400],
    registers,
  });
  const steps = new Counter({
    name: 'agent_steps_total',
    help: 'Agent steps finished (a model call and its tool calls).',
    labelNames: ['template'],
    registers,
  });
  const runTransitions = new Counter({
    name: 'agent_run_transitions_total',
    help: 'Pause, resume and stop transitions of runs.',
    labelNames: ['transition'],
    registers,
  });
  const modelCalls = new Counter({
    name: 'agent_model_calls_total',
    help: 'Model call attempts, by model and outcome.',
    labelNames: ['model', 'outcome'],
    registers,
  });
  const modelCallErrors = new Counter({
    name: 'agent_model_call_errors_total',
    help: 'Model call attempts that failed, by model and error type (ModelRateLimited, ModelUnavailable, ...).',
    labelNames: ['model', 'error_type'],
    registers,
  });
  const modelDuration = new Histogram({
    name: 'agent_model_call_duration_seconds',
    help: 'Duration of model call attempts.',
    labelNames: ['model'],
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300],
    registers,
  });
  const tokens = new Counter({
    name: 'agent_tokens_total',
    help: 'Tokens reported by models, by kind (input, output, cached).',
    labelNames: ['model', 'kind'],
    registers,
  });
  const cost = new Counter({
    name: 'agent_cost_usd_total',
    help: 'Cost of model calls in US dollars, from the price table.',
    labelNames: ['model'],
    registers,
  });
  const toolCalls = new Counter({
    name: 'agent_tool_calls_total',
    help: 'Tool calls, by tool and outcome.',
    labelNames: ['tool', 'outcome'],
    registers,
  });
  const toolDuration = new Histogram({
    name: 'agent_tool_call_duration_seconds',
    help: 'Duration of tool calls.',
    labelNames: ['tool'],
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
    registers,
  });
  const middlewareDuration = new Histogram({
    name: 'agent_middleware_duration_seconds',
    help: 'Time spent in each middleware layer (its own work, excluding inner layers).',
    labelNames: ['middleware', 'hook'],
    buckets: [0.00001, 0.00005, 0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5],
    registers,
  });
  const retries = new Counter({
    name: 'agent_activity_retries_total',
    help: 'Activity attempts after the first.',
    labelNames: ['activity'],
    registers,
  });
  const rateLimitRejections = new Counter({
    name: 'agent_rate_limit_rejections_total',
    help: 'Calls refused by the rate limiter.',
    labelNames: ['kind'],
    registers,
  });
  const quotaRejections = new Counter({
    name: 'agent_quota_rejections_total',
    help: 'Calls refused because a quota was spent.',
    registers,
  });
  const permissionRejections = new Counter({
    name: 'agent_permission_rejections_total',
    help: 'Calls refused by the auth policy.',
    labelNames: ['kind'],
    registers,
  });
  const approvals = new Counter({
    name: 'agent_approvals_total',
    help: 'Decisions on tool calls awaiting approval, by decision (approved, rejected) and who decided (person, timeout).',
    labelNames: ['decision', 'by'],
    registers,
  });
  const eventHandlerErrors = new Counter({
    name: 'agent_event_handler_errors_total',
    help: 'Event bus handlers or transports that threw.',
    labelNames: ['handler'],
    registers,
  });

  bus.subscribe({ name: 'metrics', types: ['workflow.finished'] }, ({ data }) => {
    if (!isRunWorkflowType(data.workflowType) || data.outcome === 'continued') return;
    runs.inc({ template: data.template, outcome: data.outcome });
    runDuration.observe({ template: data.template }, data.durationSeconds);
  });
  bus.subscribe({ name: 'metrics', types: ['step.finished'] }, (event) =>
    steps.inc({ template: (event as { template?: string }).template ?? 'unknown' }),
  );
  bus.subscribe({ name: 'metrics', types: ['run.paused', 'run.resumed', 'run.stopped'] }, (event) =>
    runTransitions.inc({ transition: event.type.slice('run.'.length) }),
  );
  bus.subscribe({ name: 'metrics', types: ['approval.decided'] }, (event) => {
    const { decision, by } = (event as { data: { decision: string; by: string } }).data;
    approvals.inc({ decision, by });
  });
  bus.subscribe({ name: 'metrics', types: ['activity.model_call'] }, ({ data }) => {
    const model = modelLabel(data.model);
    modelCalls.inc({ model, outcome: data.outcome });
    modelDuration.observe({ model }, data.durationSeconds);
    if (data.outcome !== 'ok') return void modelCallErrors.inc({ model, error_type: data.errorType ?? 'Error' });
    tokens.inc({ model, kind: 'input' }, data.inputTokens);
    tokens.inc({ model, kind: 'output' }, data.outputTokens);
    tokens.inc({ model, kind: 'cached' }, data.cachedTokens);
    cost.inc({ model }, data.costUsd);
  });
  bus.subscribe({ name: 'metrics', types: ['activity.tool_call'] }, ({ data }) => {
    toolCalls.inc({ tool: data.tool, outcome: data.outcome });
    toolDuration.observe({ tool: data.tool }, data.durationSeconds);
  });
  bus.subscribe({ name: 'metrics', types: ['middleware.layer'] }, ({ data }) =>
    middlewareDuration.observe({ middleware: data.middleware, hook: data.hook }, data.durationSeconds),
  );
  bus.subscribe({ name: 'metrics', types: ['activity.retry'] }, ({ data }) => retries.inc({ activity: data.activity }));
  bus.subscribe({ name: 'metrics', types: ['activity.rejected'] }, ({ data }) => {
    if (data.kind === 'RateLimited') rateLimitRejections.inc({ kind: data.activity === 'callTool' ? 'tool' : 'model' });
    else if (data.kind === 'QuotaExceeded') quotaRejections.inc();
    else if (data.kind === 'PermissionDenied')
      permissionRejections.inc({ kind: data.activity === 'callTool' ? 'tool' : 'model' });
  });
  return { eventHandlerErrors };
}
