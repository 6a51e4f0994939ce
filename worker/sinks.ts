/** The `agentEvents` sink: workflow events to the event bus, skipped on replay so nothing counts twice. */
import type { InjectedSinks } from '@temporalio/worker';
import type { AgentEvent, AgentSinks } from '../agents/events';
import { agentTemplateKey } from '../agents/search-attributes';
import type { EventBus } from './events/event-bus';

export function agentSinks(bus: EventBus): InjectedSinks<AgentSinks> {
  return {
    agentEvents: {
      publish: {
        fn: (info, event: AgentEvent) => {
          // Step events carry no template in durable state; add it here for metric labels.
          const template = info.typedSearchAttributes.get(agentTemplateKey);
          bus.publish(template ? ({ ...event, template } as AgentEvent) : event);
        },
        callDuringReplay: false,
      },
    },
  };
}
