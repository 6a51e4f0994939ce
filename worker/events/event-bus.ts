/**
 * `EventBus`: in-process publish/subscribe for agent events, with typed filters, sync and async
 * handlers, enable/disable, a bounded history, and transports to other processes.
 *
 * Publishing never throws and never waits for handlers: a failing or slow handler cannot break a run.
 */
import type { AgentEvent, AgentEventType } from '../../agents/events';

export type EventHandler<T extends AgentEventType = AgentEventType> = (event: AgentEvent<T>) => void | Promise<void>;

export interface SubscribeOptions<T extends AgentEventType> {
  /** Event types to receive; all when omitted. */
  types?: readonly T[];
  /** Further filter, e.g. by run id. */
  where?: (event: AgentEvent<T>) => boolean;
  /** Name for metrics and logs. Default `handler-N`. */
  name?: string;
}

/** Sends events to another process (a file, a collector, a queue). */
export interface EventTransport {
  readonly name: string;
  send(event: AgentEvent): void | Promise<void>;
  close?(): Promise<void>;
}

interface Subscription {
  id: number;
  name: string;
  types?: ReadonlySet<string>;
  where?: (event: AgentEvent) => boolean;
  handler: EventHandler;
  enabled: boolean;
}

export interface EventBusOptions {
  /** Events kept for `history()`. Default 1,000. */
  historySize?: number;
  /** Called when a handler or transport throws or rejects. */
  onHandlerError?: (name: string, error: unknown, event: AgentEvent) => void;
}

export class EventBus {
  private readonly subscriptions = new Map<number, Subscription>();
  private readonly transports: EventTransport[] = [];
  private readonly ring: (AgentEvent | undefined)[];
  private ringNext = 0;
  private nextId = 1;
  private readonly onHandlerError: NonNullable<EventBusOptions['onHandlerError']>;

  constructor(options: EventBusOptions = {}) {
    this.ring = new Array(Math.max(0, options.historySize ?? 1000));
    this.onHandlerError = options.onHandlerError ?? (() => undefined);
  }

  /** Returns the subscription id; pass it to `unsubscribe`, `enable`, `disable`. */
  subscribe<T extends AgentEventType>(options: SubscribeOptions<T>, handler: EventHandler<T>): number {
    const id = this.nextId++;
    this.subscriptions.set(id, {
      id,
      name: options.name ?? `handler-${id}`,
      types: options.types ? new Set(options.types) : undefined,
      where: options.where as Subscription['where'],
      handler: handler as EventHandler,
      enabled: true,
    });
    return id;
  }

  unsubscribe(id: number): boolean {
    return this.subscriptions.delete(id);
  }

  enable(id: number): void {
    const sub = this.subscriptions.get(id);
    if (sub) sub.enabled = true;
  }

  disable(id: number): void {
    const sub = this.subscriptions.get(id);
    if (sub) sub.enabled = false;
  }

  addTransport(transport: EventTransport): void {
    this.transports.push(transport);
  }

  get subscriberCount(): number {
    return this.subscriptions.size;
  }

  publish(event: AgentEvent): void {
    if (this.ring.length > 0) {
      this.ring[this.ringNext] = event;
      this.ringNext = (this.ringNext + 1) % this.ring.length;
    }
    for (const sub of this.subscriptions.values()) {
      if (!sub.enabled || (sub.types && !sub.types.has(event.type)) || (sub.where && !sub.where(event))) continue;
      this.invoke(sub.name, () => sub.handler(event), event);
    }
    for (const transport of this.transports)
      this.invoke(`transport:${transport.name}`, () => transport.send(event), event);
  }

  /** Most recent events, oldest first, optionally of some types. */
  history(types?: readonly AgentEventType[]): AgentEvent[] {
    const ordered = [...this.ring.slice(this.ringNext), ...this.ring.slice(0, this.ringNext)].filter(
      (e): e is AgentEvent => e !== undefined,
    );
    return types ? ordered.filter((e) => types.includes(e.type)) : ordered;
  }

  async close(): Promise<void> {
    await Promise.all(this.transports.map((t) => t.close?.()));
  }

  private invoke(name: string, fn: () => void | Promise<void>, event: AgentEvent): void {
    try {
      const result = fn();
      if (result && typeof (result as Promise<void>).then === 'function')
        (result as Promise<void>).catch((err) => this.onHandlerError(name, err, event));
    } catch (err) {
      this.onHandlerError(name, err, event);
    }
  }
}
