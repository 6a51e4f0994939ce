/**
 * agents/: templates, schemas, messages and errors shared by the client, the workflows and the activities.
 *
 * Everything here is deterministic and free of Node APIs. Workflow code imports single modules, never this index:
 * the `*-schema.ts` modules, `catalog.ts`, `resolve-run.ts`, `run.ts` and `templates/` use zod, which must stay out
 * of the workflow bundle (see agents/checks.ts).
 */
export * from './conversation';
export * from './conversation-schema';
export * from './errors';
export * from './ledger';
export * from './ledger-schema';
export * from './messages';
export * from './model-spec';
export * from './model-spec-schema';
export * from './run';
export * from './run-spec';
export * from './run-steps';
export * from './resolve-run';
export * from './catalog';
export * from './search-attributes';
export * from './structured-output';
export * from './structured-output-schema';
export * from './templates';
export * from './tool-specs';
export * from './session';
export * from './session-schema';
