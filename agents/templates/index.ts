export * from './template';
export * from './registry';
export { chatTemplate } from './chat';
export { reactTemplate } from './react';
export { structuredTemplate, schemaFence } from './structured';
