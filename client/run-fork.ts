/**
 * `forkRun`: rewind and fork. Starts a new run from the state after step N of another run, which is left untouched.
 *
 * The fork runs from the source's recorded spec (as read from its history) with the source's conversation through
 * step N and its step counter at N; it is an ordinary run (searchable, metered, controllable) that records where it
 * came from (`forkedFrom` in its input and state, a `run.forked` event). It starts through the workflow's carried-
 * state path, the one continue-as-new uses.
 */
import { randomUUID } from 'node:crypto';
import { WorkflowExecutionAlreadyStartedError, type WorkflowClient } from '@temporalio/client';
import { z } from 'zod';
import { emptyUsage } from '../agents/conversation';
import { AgentError, describeZodError, ErrorType } from '../agents/errors';
import { runWorkflowType } from '../agents/run-workflow-type';
import { stateQuery } from '../agents/messages';
import { modelSpecSchema } from '../agents/model-spec-schema';
import { runIdSchema, runOptionsSchema, userIdSchema, type RunInput } from '../agents/run';
import { conversationSteps, conversationThrough, repairsThrough } from '../agents/run-steps';
import type { agentRunWorkflow } from '../workflows';
import { resolveRunInput } from '../workflows/run-input';
import { toAgentError } from './errors';
import { runSearchAttributes } from '../agents/search-attributes';
import { readConversation, recordedRunInput } from './run-record';

export interface ForkRunOptions {
  /** Id of the new run; generated (`run-<uuid>`) when omitted. An id any workflow has used is refused (`AlreadyExists`). */
  id?: string;
  /** Who the fork runs for (quotas, policy, usage). Default: the source's user. */
  user?: string;
  /** Model spec `provider:model`. Default: the source's model. */
  model?: string;
  /** Run options, replacing the source's as a whole (e.g. without `approval`). Default: the source's options. */
  options?: RunInput['options'];
}

const forkArgsSchema = z
  .object({
    sourceId: runIdSchema,
    step: z.number().int(),
    id: runIdSchema.optional(),
    user: userIdSchema.optional(),
    model: z.string().optional(),
    options: runOptionsSchema.optional(),
  })
  .strict();

/** Starts the fork and returns its run id. Nothing is started when any check fails. */
export async function forkRun(
  workflows: WorkflowClient,
  taskQueue: string,
  sourceId: string,
  step: number,
  options: ForkRunOptions = {},
): Promise<string> {
  const args = parse(forkArgsSchema, { ...options, sourceId, step }, 'fork arguments');
  const source = workflows.getHandle<typeof agentRunWorkflow>(sourceId);
  const recorded = await recordedRunInput(source);
  const finished = await source.query(stateQuery).then(
    (state) => state.step,
    (err) => Promise.reject(toAgentError(err, sourceId)),
  );
  if (step < 0 || step > finished)
    throw new AgentError(
      ErrorType.InvalidInput,
      `Step ${step} is out of range: run ${sourceId} has finished steps 0 to ${finished}; fork from one of those`,
    );
  const stepped = conversationSteps(await readConversation(source), recorded.spec.messages.length);
  if (stepped.steps.length < step)
    throw new AgentError(ErrorType.InvalidInput, `Run ${sourceId} holds ${stepped.steps.length} steps, not ${step}`);

  const model = args.model === undefined ? recorded.input.model : parseModel(args.model);
  const { carried: _carried, forkedFrom: _forkedFrom, options: sourceOptions, ...same } = recorded.input;
  const runOptions = args.options ?? sourceOptions;
  // The recorded input as it is (spec, or a legacy template input), so the fork runs exactly as the source does.
  const input: RunInput = {
    ...same,
    model,
    user: args.user ?? recorded.input.user,
    ...(runOptions ? { options: runOptions } : {}),
    forkedFrom: { runId: sourceId, step },
    // Its own usage from zero; no events: the workflow starts the fork's log with run.started and run.forked.
    carried: {
      messages: conversationThrough(stepped, step),
      step,
      usage: emptyUsage(),
      pauseRequested: false,
      repairsUsed: repairsThrough(stepped, step),
      continuations: 0,
    },
  };
  // What the workflow itself checks: refuse here what it would fail on.
  const resolution = resolveRunInput(input);
  if (!resolution.ok) throw new AgentError(resolution.type, resolution.message);

  const runId = args.id ?? `run-${randomUUID()}`;
  const template = resolution.spec.template;
  try {
    await workflows.start<typeof agentRunWorkflow>(runWorkflowType, {
      taskQueue,
      workflowId: runId,
      args: [input],
      // Unlike `start`, an id in use is an error: a fork is always a new run.
      workflowIdConflictPolicy: 'FAIL',
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      typedSearchAttributes: runSearchAttributes({ user: input.user, template, model: input.model }),
      staticSummary: `${template} run for ${input.user} on ${input.model}, forked from ${sourceId} at step ${step}`,
    });
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError)
      throw new AgentError(
        ErrorType.AlreadyExists,
        `A workflow with id ${runId} exists; choose another id for the fork`,
      );
    throw toAgentError(err, runId);
  }
  return runId;
}

function parseModel(spec: string): string {
  const parsed = modelSpecSchema.safeParse(spec);
  if (!parsed.success) throw new AgentError(ErrorType.UnknownModel, describeZodError(parsed.error));
  return parsed.data.spec;
}

function parse<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success)
    throw new AgentError(ErrorType.InvalidInput, `Invalid ${what}: ${describeZodError(parsed.error)}`);
  return parsed.data;
}
