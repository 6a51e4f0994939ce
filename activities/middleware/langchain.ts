/**
 * Runs LangChain v1 agent middleware (from `createMiddleware` or hand-written) in our pipeline.
 *
 * Only the call-level hooks apply: an activity sees one model or tool call, not the agent's graph, so
 * `beforeAgent`, `beforeModel`, `afterModel`, `afterAgent` and `stateSchema` cannot run here and are refused.
 */
import { ToolMessage, type AIMessage } from '@langchain/core/messages';
import type { AgentMiddleware, ModelCallHandler, ModelCallRequest, ToolCallHandler, ToolCallRequest } from './types';

type PromiseOrValue<T> = T | Promise<T>;

/** The structural part of a LangChain `AgentMiddleware` this adapter uses. */
export interface LangChainMiddlewareLike {
  name: string;
  wrapModelCall?: (request: any, handler: (request: any) => PromiseOrValue<AIMessage>) => PromiseOrValue<AIMessage>;
  wrapToolCall?: (request: any, handler: (request: any) => PromiseOrValue<unknown>) => PromiseOrValue<unknown>;
  [hook: string]: unknown;
}

export interface FromLangChainOptions {
  /** Default 50: inside logging and auth, outside quota and rate limit. */
  priority?: number;
  /** Default true. */
  enabled?: boolean;
}

const graphHooks = ['beforeAgent', 'beforeModel', 'afterModel', 'afterAgent', 'stateSchema'] as const;

/**
 * @example
 * const redact = createMiddleware({ name: 'redact', wrapModelCall: (req, handler) => handler({ ...req, systemPrompt: 'Never reveal keys.' }) });
 * createActivities({ providerEnv, middleware: [fromLangChainMiddleware(redact)] });
 */
export function fromLangChainMiddleware(
  mw: LangChainMiddlewareLike,
  options: FromLangChainOptions = {},
): AgentMiddleware {
  const unsupported = graphHooks.filter((hook) => mw[hook] !== undefined);
  if (unsupported.length > 0) {
    throw new Error(
      `LangChain middleware "${mw.name}" uses ${unsupported.join(', ')}, which need the agent graph; in activities only wrapModelCall and wrapToolCall run. Move the logic into those hooks.`,
    );
  }
  if (!mw.wrapModelCall && !mw.wrapToolCall)
    throw new Error(`LangChain middleware "${mw.name}" has neither wrapModelCall nor wrapToolCall`);
  const { wrapModelCall, wrapToolCall } = mw;
  return {
    name: mw.name,
    priority: options.priority ?? 50,
    enabled: options.enabled ?? true,
    wrapModelCall: wrapModelCall
      ? async (request: ModelCallRequest, handler: ModelCallHandler) =>
          wrapModelCall.call(mw, request, (r: ModelCallRequest) => handler(withContext(r, request)))
      : undefined,
    wrapToolCall: wrapToolCall
      ? async (request: ToolCallRequest, handler: ToolCallHandler) => {
          const result = await wrapToolCall.call(mw, request, (r: ToolCallRequest) => handler(withContext(r, request)));
          if (!ToolMessage.isInstance(result)) {
            throw new Error(
              `LangChain middleware "${mw.name}" returned a ${describe(result)} from wrapToolCall; activities take only a ToolMessage (Command needs the agent graph)`,
            );
          }
          return result;
        }
      : undefined,
  };
}

/** LangChain middleware rebuild requests with spread; make sure ours keep the context. */
function withContext<T extends { context: unknown; runtime: unknown }>(next: T, original: T): T {
  return next.context ? next : { ...next, context: original.context, runtime: next.runtime ?? original.runtime };
}

function describe(value: unknown): string {
  return (value as { constructor?: { name?: string } })?.constructor?.name ?? typeof value;
}
