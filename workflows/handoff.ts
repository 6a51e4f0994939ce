/**
 * `RunHandoffs`: a run handing its conversation over to another template (agents/handoffs.ts), in workflow code.
 *
 * Deterministic, no activity: a handoff call is answered by the workflow and the loop continues under the target's
 * system prompt, tools, step budget and output schema, all from the spec recorded at start (`spec.handoffs`).
 * Runs whose spec names no handoffs never create one, so their commands are what they were.
 */
import { upsertSearchAttributes } from '@temporalio/workflow';
import { arr, num, obj, optional, str } from '../agents/checks';
import type { ToolCall } from '../agents/conversation';
import { handoffReason, handoffResultText, maxHandoffsPerRun, type HandoffState } from '../agents/handoffs';
import type { RunInput } from '../agents/run';
import type { RunSpec, TemplateSpec, ToolDefinition } from '../agents/run-spec';
import { agentTemplateKey } from '../agents/search-attributes';
import type { AgentLoop, LoopConfig } from './agent-loop';

/** What the workflow answers for the handoff calls of one model reply. */
export interface HandoffPlan {
  /** Tool results of the handoff calls by call id: the accepted one, and an error for any other. */
  results: Map<string, { content: string; isError: boolean }>;
  /** The handoff to apply once the reply's other tool calls have run. */
  accepted?: { to: string; reason?: string };
}

const carriedCheck = obj({
  template: str({ min: 1, max: 100 }),
  stepLimit: num({ int: true, min: 0 }),
  chain: arr(
    obj({
      from: str({ min: 1, max: 100 }),
      to: str({ min: 1, max: 100 }),
      step: num({ int: true, min: 0 }),
      reason: optional(str({ max: 500 })),
    }),
  ),
});

/**
 * What is inconsistent in a run input's handoffs (a `handoff` tool naming a template the spec does not hold, a
 * carried template that is not one of them), or undefined. The shapes are checked by `resolveRunInput`.
 */
export function handoffInputProblem(input: RunInput): string | undefined {
  const spec = input.spec;
  if (!spec) return undefined;
  const targets = spec.handoffs ?? {};
  const known = (name: string) => Object.prototype.hasOwnProperty.call(targets, name);
  const badTool = (tools: ToolDefinition[]) => tools.find((tool) => tool.handoff !== undefined && !known(tool.handoff));
  const tool = badTool(spec.tools);
  if (tool) return `spec.tools: "${tool.name}" hands over to "${tool.handoff}", which spec.handoffs does not hold`;
  for (const [name, target] of Object.entries(targets)) {
    if (target.template !== name) return `spec.handoffs.${name}: template is "${target.template}"`;
    const inner = badTool(target.tools);
    if (inner)
      return `spec.handoffs.${name}.tools: "${inner.name}" hands over to "${inner.handoff}", which spec.handoffs does not hold`;
  }
  const carried = (input.carried as { handoff?: unknown } | undefined)?.handoff;
  if (carried === undefined) return undefined;
  const problem = carriedCheck(carried, 'carried.handoff');
  if (problem) return problem;
  const current = (carried as HandoffState).template;
  return known(current) ? undefined : `carried.handoff.template: "${current}" is not in spec.handoffs`;
}

export class RunHandoffs {
  private constructor(private readonly targets: Record<string, TemplateSpec>) {}

  /**
   * Gives the loop of a run whose spec may hand over its `handoffs`; after continue-as-new, the loop is put back
   * under the template the run had handed over to (carried in `state.handoff`).
   */
  static attach(loop: AgentLoop, spec: RunSpec): void {
    if (!spec.handoffs) return;
    const handoffs = new RunHandoffs(spec.handoffs);
    loop.handoffs = handoffs;
    const current = loop.state.handoff?.template;
    if (current !== undefined) configure(loop.config, spec.handoffs[current]);
  }

  /**
   * The workflow's answers to the handoff calls of a reply; undefined when it has none. The first handoff call
   * (not rejected by a person) is accepted; any further one is answered with an error (one conversation, one
   * agent), as is every handoff past {@link maxHandoffsPerRun}. Other tool calls of the reply run as usual, then
   * the conversation passes on, with their results, to the target.
   */
  plan(loop: AgentLoop, calls: ToolCall[], rejected: (callId: string) => boolean): HandoffPlan | undefined {
    const definitions = loop.config.toolDefinitions ?? [];
    const results: HandoffPlan['results'] = new Map();
    let accepted: HandoffPlan['accepted'];
    const made = loop.state.handoff?.chain.length ?? 0;
    for (const call of calls) {
      const to = definitions.find((tool) => tool.name === call.name)?.handoff;
      if (to === undefined || rejected(call.id)) continue;
      if (accepted) {
        results.set(call.id, {
          content: `Error: only one handoff per reply; the conversation goes to ${accepted.to}`,
          isError: true,
        });
      } else if (made >= maxHandoffsPerRun) {
        results.set(call.id, {
          content: `Error: this run has handed over ${made} times, the most allowed; carry on yourself`,
          isError: true,
        });
      } else {
        const reason = handoffReason(call.args);
        accepted = { to, ...(reason ? { reason } : {}) };
        results.set(call.id, { content: handoffResultText(to), isError: false });
      }
    }
    return results.size > 0 ? { results, ...(accepted ? { accepted } : {}) } : undefined;
  }

  /**
   * Continues the run under `to` from the next step: its system prompt replaces the system message (the rest of
   * the conversation stays), its tools, output schema and a fresh budget of its `maxSteps` steps counted from this
   * one (step numbers run on). Recorded as a `handoff` event; `AgentTemplate` becomes `to`.
   */
  apply(loop: AgentLoop, handoff: NonNullable<HandoffPlan['accepted']>, step: number): void {
    const target = this.targets[handoff.to];
    const from = loop.config.template;
    const { messages } = loop.state;
    const system = messages.findIndex((m) => m.role === 'system');
    if (system >= 0) messages[system] = { role: 'system', content: target.systemPrompt };
    else messages.unshift({ role: 'system', content: target.systemPrompt });
    loop.conversationRewritten();
    configure(loop.config, target);
    const record = { from, to: target.template, step, ...(handoff.reason ? { reason: handoff.reason } : {}) };
    loop.state.handoff = {
      template: target.template,
      stepLimit: step + target.maxSteps,
      chain: [...(loop.state.handoff?.chain ?? []), record],
    };
    // Each template gets its own structured-output repair.
    loop.state.repairsUsed = 0;
    loop.events.emit('handoff', record);
    upsertSearchAttributes([{ key: agentTemplateKey, value: target.template }]);
  }
}

/** What the loop binds and checks: the template name (middleware, tool calls), tool names and definitions, schema. */
function configure(config: LoopConfig, target: TemplateSpec): void {
  config.template = target.template;
  config.tools = target.tools.map((tool) => tool.name);
  config.toolDefinitions = target.tools;
  config.outputSchema = target.outputSchema;
}
