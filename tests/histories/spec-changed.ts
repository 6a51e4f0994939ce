/**
 * The catalog `v3-spec-changed.json` was started from: a template and a tool description no worker has today.
 * The replay test checks the recorded spec still differs from what today's built-ins resolve to.
 */
import { builtinCatalog, type Catalog } from '../../agents/catalog';

export const changedCatalog: Catalog = {
  templates: [
    {
      name: 'arithmetic-v1',
      description: 'A template that existed when the run started and is gone since.',
      systemPrompt: 'You are the arithmetic agent, version 1. Use the calculator.',
      tools: ['calc*'],
      maxSteps: 4,
      inputSchema: { type: 'object', properties: { task: { type: 'string' } }, required: ['task'] },
      source: 'catalog-file',
    },
  ],
  tools: builtinCatalog.tools.map((tool) =>
    tool.name === 'calculator' ? { ...tool, description: 'Version 1 of the calculator: evaluates arithmetic.' } : tool,
  ),
};

export const changedTemplateRun = {
  template: 'arithmetic-v1',
  input: { task: 'What is 6 * 7?' },
  model: 'scripted:auto',
  user: 'rec',
};
