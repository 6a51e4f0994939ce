/**
 * agents/: templates, schemas, messages and errors shared by the client, the workflows and the activities.
 *
 * Everything here is deterministic and free of Node APIs so workflow code may import it.
 */
export * from './conversation';
export * from './errors';
export * from './ledger';
export * from './messages';
export * from './model-spec';
export * from './run';
export * from './run-spec';
export * from './resolve-run';
export * from './catalog';
export * from './search-attributes';
export * from './structured-output';
export * from './templates';
export * from './tool-specs';
export * from './session';
