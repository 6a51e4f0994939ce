/** The `agentEvents` sink: workflow events to the event bus, skipped on replay so nothing counts twice. */
import type { InjectedSinks } from '@temporalio/worker';
import type { AgentEvent, AgentSinks } from '../agents/events';
import { agentTemplateKey } from '../agents/search-attributes';

/** The run's template from the workflow info a sink receives (a copy: its typed attributes lost their methods). */
function templateOf(info: { searchAttributes?: Record<string, unknown> }): string | undefined {
  const value = info.searchAttributes?.[agentTemplateKey.name];
  return Array.isArray(value) && typeof value[0] === 'string' ? value[0] : undefined;
}
import type { EventBus } from './events/event-bus';

export function agentSinks(bus: EventBus): InjectedSinks<AgentSinks> {
  return {
    agentEvents: {
      publish: {
        fn: (info, event: AgentEvent) => {
          // Step events carry no template in durable state; add it here for metric labels.
          const template = templateOf(info as { searchAttributes?: Record<string, unknown> });
          bus.publish(template ? ({ ...event, template } as AgentEvent) : event);
        },
        callDuringReplay: false,
      },
    },
  };
}
