/** Templates registered by name. */
import type { AgentTemplate } from './template';
import { chatTemplate } from './chat';
import { reactTemplate } from './react';
import { structuredTemplate } from './structured';

export const templates: Record<string, AgentTemplate<any>> = {
  [chatTemplate.name]: chatTemplate,
  [reactTemplate.name]: reactTemplate,
  [structuredTemplate.name]: structuredTemplate,
};

export const templateNames = Object.keys(templates);

export function findTemplate(name: string): AgentTemplate<any> | undefined {
  return Object.prototype.hasOwnProperty.call(templates, name) ? templates[name] : undefined;
}
