/**
 * A stand-in, not a model: the deterministic "brain" behind the scripted chat model (`scripted:` specs) and the
 * OpenAI-compatible stub server (llm-stub/), for tests, the demo and benchmarks. Never a default of anything.
 *
 * Same conversation in, same reply out: no randomness, no clock. It knows just enough to drive every
 * template: it calls `calculator` for arithmetic (or for `rounds` steps), answers structured prompts with
 * JSON built from the schema, and remembers "my name is X" across turns. A line `call <tool> <JSON args>` in the
 * user message makes it call that tool (if offered) with those arguments, one such line per step, in order; lines
 * naming a tool not offered now are skipped (so after a handoff, the next template's lines apply).
 */
import type { ChatMessage, ToolCall } from '../agents/conversation';
import { schemaFence } from '../agents/templates/structured';

export interface ScriptedParams {
  /** Call `calculator` this many times before answering (drives long runs). */
  rounds?: number;
  /** Answer a structured prompt with invalid JSON first, to exercise the repair attempt. */
  invalidFirst?: boolean;
  /** Make every `call <tool> <JSON>` line of the message a call of one step (ids `call_<turn>_<n>`), not one a step. */
  parallel?: boolean;
  /** Characters of filler appended to each answer (drives large conversations). */
  pad?: number;
}

export interface ScriptedReply {
  content: string;
  toolCalls: ToolCall[];
}

/** Reads `rounds`, `invalidFirst`, `pad` from spec params (strings). */
export function scriptedParams(params: Record<string, string>): ScriptedParams {
  const int = (value: string | undefined) => (value !== undefined && /^\d+$/.test(value) ? Number(value) : undefined);
  return {
    rounds: int(params.rounds),
    invalidFirst: params.invalidFirst === '1' || params.invalidFirst === 'true',
    pad: int(params.pad),
    parallel: params.parallel === '1' || params.parallel === 'true',
  };
}

export function scriptedReply(messages: ChatMessage[], tools: string[], params: ScriptedParams = {}): ScriptedReply {
  const lastUserIndex = findLastIndex(messages, (m) => m.role === 'user');
  const lastUser = lastUserIndex >= 0 ? messages[lastUserIndex].content : '';
  const sinceUser = messages.slice(lastUserIndex + 1);
  const toolResults = sinceUser.filter((m) => m.role === 'tool');
  const assistantTurns = messages.filter((m) => m.role === 'assistant').length;
  const pad = (text: string) => (params.pad ? `${text} ${'.'.repeat(params.pad)}` : text);

  const directives = toolDirectives(lastUser).filter((d) => tools.includes(d.name));
  if (params.parallel && directives.length > 0 && toolResults.length === 0) {
    return {
      content: '',
      toolCalls: directives.map(({ name, args }, i) => ({ id: `call_${assistantTurns + 1}_${i + 1}`, name, args })),
    };
  }
  // Results of other tools (a handoff's, answered by the workflow) do not advance the script.
  const done = toolResults.filter((m) => directives.some((d) => d.name === m.name)).length;
  if (done < directives.length && !params.parallel) {
    const { name, args } = directives[done];
    return { content: '', toolCalls: [{ id: `call_${assistantTurns + 1}`, name, args }] };
  }

  const system = messages.find((m) => m.role === 'system')?.content ?? '';
  const schema = embeddedSchema(system);
  if (schema) {
    const priorAnswers = messages.filter((m) => m.role === 'assistant').length;
    if (params.invalidFirst && priorAnswers === 0)
      return { content: '{"this is": "not what the schema asks for"', toolCalls: [] };
    return { content: JSON.stringify(sampleFromSchema(schema)), toolCalls: [] };
  }
  if (directives.length > 0)
    return { content: pad(`Tool results: ${toolResults.map((m) => m.content).join(' | ')}`), toolCalls: [] };

  if (tools.includes('calculator')) {
    const callId = `call_${assistantTurns + 1}`;
    if (params.rounds !== undefined) {
      if (toolResults.length < params.rounds) {
        const k = toolResults.length + 1;
        return {
          content: pad(`Step ${k}: computing.`),
          toolCalls: [{ id: callId, name: 'calculator', args: { expression: `${k} * 2` } }],
        };
      }
      return {
        content: pad(`Done after ${params.rounds} tool calls; last result ${lastContent(toolResults)}.`),
        toolCalls: [],
      };
    }
    const expression = arithmeticIn(lastUser);
    if (expression && toolResults.length === 0) {
      return { content: '', toolCalls: [{ id: callId, name: 'calculator', args: { expression } }] };
    }
    if (toolResults.length > 0) return { content: pad(`The answer is ${lastContent(toolResults)}.`), toolCalls: [] };
  }

  return { content: pad(chatReply(messages, lastUser)), toolCalls: [] };
}

function chatReply(messages: ChatMessage[], lastUser: string): string {
  const turn = messages.filter((m) => m.role === 'user').length;
  if (/what(?:'s| is) my name/i.test(lastUser)) {
    const name = rememberedName(messages);
    return name ? `Your name is ${name}.` : "You haven't told me your name.";
  }
  const name = /my name is ([A-Za-z][\w-]*)/i.exec(lastUser)?.[1];
  if (name) return `Nice to meet you, ${name}.`;
  return `Scripted reply (turn ${turn}): you said "${truncate(lastUser, 200)}".`;
}

function rememberedName(messages: ChatMessage[]): string | undefined {
  let name: string | undefined;
  for (const m of messages) {
    if (m.role !== 'user') continue;
    name = /my name is ([A-Za-z][\w-]*)/i.exec(m.content)?.[1] ?? name;
  }
  return name;
}

/** `call <tool> <JSON object>` lines of a message, in order (lines whose JSON does not parse are ignored). */
export function toolDirectives(text: string): { name: string; args: Record<string, unknown> }[] {
  const found: { name: string; args: Record<string, unknown> }[] = [];
  for (const match of text.matchAll(/^call ([A-Za-z0-9_-]{1,64}) (\{.*\})\s*$/gm)) {
    try {
      const args = JSON.parse(match[2]);
      if (args && typeof args === 'object' && !Array.isArray(args)) found.push({ name: match[1], args });
    } catch {
      // not a directive
    }
  }
  return found;
}

/** The first run of arithmetic in a text with at least one operator, e.g. "(12 + 30) * 2". */
export function arithmeticIn(text: string): string | undefined {
  const candidates = text.match(/[\d(][\d\s+\-*/%^().]*[\d)]/g) ?? [];
  return candidates.map((c) => c.trim()).find((c) => /\d\s*[+\-*/%^]\s*[\d(]/.test(c));
}

function embeddedSchema(system: string): Record<string, unknown> | undefined {
  const start = system.indexOf(schemaFence);
  if (start < 0) return undefined;
  const body = system.slice(start + schemaFence.length);
  const end = body.indexOf('```');
  try {
    return JSON.parse(body.slice(0, end < 0 ? undefined : end));
  } catch {
    return undefined;
  }
}

/** A value that satisfies simple JSON Schemas (types, required, enum, const, min bounds). */
export function sampleFromSchema(schema: Record<string, any>): unknown {
  if ('const' in schema) return schema.const;
  if (Array.isArray(schema.enum)) return schema.enum[0];
  if (Array.isArray(schema.anyOf ?? schema.oneOf)) return sampleFromSchema((schema.anyOf ?? schema.oneOf)[0]);
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const [key, sub] of Object.entries<Record<string, any>>(schema.properties ?? {}))
        out[key] = sampleFromSchema(sub);
      return out;
    }
    case 'array':
      return Array.from({ length: Math.max(1, schema.minItems ?? 1) }, () => sampleFromSchema(schema.items ?? {}));
    case 'string':
      return 'x'.repeat(Math.max(7, schema.minLength ?? 0)).replace(/^x{7}/, 'example');
    case 'integer':
      return Math.max(42, Math.ceil(schema.minimum ?? 0));
    case 'number':
      return Math.max(42.5, schema.minimum ?? 0);
    case 'boolean':
      return true;
    case 'null':
      return null;
    default:
      return 'example';
  }
}

function lastContent(messages: ChatMessage[]): string {
  return messages.length ? messages[messages.length - 1].content : '';
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}...` : text;
}

function findLastIndex<T>(items: T[], predicate: (item: T) => boolean): number {
  for (let i = items.length - 1; i >= 0; i--) if (predicate(items[i])) return i;
  return -1;
}

/** Rough token count (4 characters a token), used for scripted usage reports. */
export function approximateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}
