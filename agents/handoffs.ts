/**
 * Handoffs: a template may hand the conversation over to another (`handoffs: ["billing"]`). The model sees one
 * `transfer_to_<template>` tool per target; calling it continues the same run under the target's system prompt,
 * tools, step budget and output schema, with the conversation so far.
 *
 * Workflow-safe: plain types and pure helpers, no zod. The client resolves the targets at start
 * (agents/resolve-handoffs.ts); the workflow applies a handoff (workflows/handoff.ts) from the recorded spec alone.
 */
import type { ToolDefinition } from './run-spec';

/** Prefix of handoff tool names: `transfer_to_billing`. */
export const handoffToolPrefix = 'transfer_to_';

/** Tool names stay within what providers accept (OpenAI: 64 characters). */
const maxToolNameLength = 64;

/**
 * Handoffs one run may make. Each handoff gives the target a fresh step budget, so two templates handing over to
 * each other (triage → billing → triage, legitimate) would otherwise never end; past this, the handoff tool answers
 * the model with an error and the current template carries on.
 */
export const maxHandoffsPerRun = 10;

/** One handoff, as `state` and the `handoff` event show it. */
export interface HandoffRecord {
  from: string;
  to: string;
  /** The step whose model reply asked for the handoff. */
  step: number;
  /** What the model gave as `reason`, if anything (at most 500 characters). */
  reason?: string;
}

/** Carried across continue-as-new once a run has handed over; absent until then. */
export interface HandoffState {
  /** The template the run continues under. */
  template: string;
  /** Steps allowed in all: the step of the last handoff plus the target's `maxSteps`. */
  stepLimit: number;
  /** Every handoff so far, oldest first. */
  chain: HandoffRecord[];
}

/** The handoff tool for `template`: `transfer_to_<template>`, cut to 64 characters. */
export function handoffToolName(template: string): string {
  return `${handoffToolPrefix}${template}`.slice(0, maxToolNameLength);
}

/** The tool the model calls to hand over to `target`; `handoff` marks it for the workflow, which handles the call. */
export function handoffToolDefinition(target: { template: string; description: string }): ToolDefinition {
  const about = target.description ? `: ${target.description}` : '.';
  return {
    name: handoffToolName(target.template),
    description: `Hand the conversation over to the ${target.template} agent${about}`,
    parameters: {
      type: 'object',
      properties: { reason: { type: 'string', description: 'Why you hand the conversation over (optional).' } },
      additionalProperties: false,
    },
    handoff: target.template,
  };
}

/** The tool result of an accepted handoff call: every tool call gets a result, so the conversation stays valid. */
export function handoffResultText(to: string): string {
  return `Handed over to ${to}.`;
}

/** `reason` of a handoff call's arguments, if it is a string. */
export function handoffReason(args: Record<string, unknown>): string | undefined {
  return typeof args.reason === 'string' && args.reason.length > 0 ? args.reason.slice(0, 500) : undefined;
}
