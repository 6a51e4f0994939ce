/**
 * `MiddlewarePipeline`: orders middleware by priority and composes their hooks around an innermost
 * handler, onion style. Composition happens once per set of enabled middleware, not per call.
 */
import type { AgentMiddleware, ModelCallHandler, ModelCallRequest, ToolCallHandler, ToolCallRequest } from './types';

/** Per-name overrides of `enabled`, e.g. the policy's `{ logging: { enabled: false } }`. */
export type MiddlewareToggles = Record<string, { enabled: boolean }>;

export class MiddlewarePipeline {
  /** In the order they run: lowest priority (outermost) first. */
  readonly middleware: readonly AgentMiddleware[];
  private readonly composed = new WeakMap<
    object,
    { model: Map<ModelCallHandler, ModelCallHandler>; tool: Map<ToolCallHandler, ToolCallHandler> }
  >();
  private static readonly noToggles: MiddlewareToggles = {};

  /**
   * @param onLayer Reports each layer's own time (excluding the layers inside it), in seconds, for metrics.
   */
  constructor(
    middleware: readonly AgentMiddleware[],
    private readonly onLayer?: (middleware: string, hook: 'model' | 'tool', seconds: number) => void,
  ) {
    const names = new Set<string>();
    for (const m of middleware) {
      if (names.has(m.name)) throw new Error(`Two middleware are named "${m.name}"; give each a unique name`);
      names.add(m.name);
    }
    // Array.prototype.sort is stable: equal priorities keep registration order.
    this.middleware = [...middleware].sort((a, b) => a.priority - b.priority);
  }

  /** Names of the middleware that run under these toggles, outermost first. */
  active(toggles: MiddlewareToggles = MiddlewarePipeline.noToggles): string[] {
    return this.enabled(toggles).map((m) => m.name);
  }

  /** `inner` wrapped by every enabled `wrapModelCall`; cached per (toggles object, inner). */
  modelCall(inner: ModelCallHandler, toggles: MiddlewareToggles = MiddlewarePipeline.noToggles): ModelCallHandler {
    const cache = this.cacheFor(toggles).model;
    let handler = cache.get(inner);
    if (!handler) {
      handler = inner;
      for (const m of this.enabled(toggles).reverse()) {
        if (!m.wrapModelCall) continue;
        const next: ModelCallHandler = handler;
        const wrap = m.wrapModelCall.bind(m);
        handler = this.onLayer
          ? this.timed(m.name, 'model', wrap, next)
          : (request: ModelCallRequest) => wrap(request, next);
      }
      cache.set(inner, handler);
    }
    return handler;
  }

  /** `inner` wrapped by every enabled `wrapToolCall`; cached per (toggles object, inner). */
  toolCall(inner: ToolCallHandler, toggles: MiddlewareToggles = MiddlewarePipeline.noToggles): ToolCallHandler {
    const cache = this.cacheFor(toggles).tool;
    let handler = cache.get(inner);
    if (!handler) {
      handler = inner;
      for (const m of this.enabled(toggles).reverse()) {
        if (!m.wrapToolCall) continue;
        const next: ToolCallHandler = handler;
        const wrap = m.wrapToolCall.bind(m);
        handler = this.onLayer
          ? this.timed(m.name, 'tool', wrap, next)
          : (request: ToolCallRequest) => wrap(request, next);
      }
      cache.set(inner, handler);
    }
    return handler;
  }

  /** A layer that measures its own time: total minus the time spent inside `next`. */
  private timed<Req, Res>(
    name: string,
    hook: 'model' | 'tool',
    wrap: (request: Req, next: (r: Req) => Promise<Res>) => Promise<Res>,
    next: (r: Req) => Promise<Res>,
  ) {
    return async (request: Req): Promise<Res> => {
      const started = performance.now();
      let inner = 0;
      const timedNext = async (r: Req) => {
        const t = performance.now();
        try {
          return await next(r);
        } finally {
          inner += performance.now() - t;
        }
      };
      try {
        return await wrap(request, timedNext);
      } finally {
        this.onLayer!(name, hook, Math.max(0, performance.now() - started - inner) / 1000);
      }
    };
  }

  private enabled(toggles: MiddlewareToggles): AgentMiddleware[] {
    return this.middleware.filter((m) => toggles[m.name]?.enabled ?? m.enabled);
  }

  private cacheFor(toggles: MiddlewareToggles) {
    let entry = this.composed.get(toggles);
    if (!entry) this.composed.set(toggles, (entry = { model: new Map(), tool: new Map() }));
    return entry;
  }
}
