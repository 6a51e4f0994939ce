/**
 * activities/middleware/: the pipeline every model and tool call runs through inside its activity,
 * the built-in middleware (logging, auth, quota and cost, rate limit), the policy and the price table.
 * Worker-side only (Node APIs); workflows never import it.
 */
export * from './auth';
export * from './builtin';
export * from './langchain';
export * from './ledger-client';
export * from './logging';
export * from './pipeline';
export * from './policy';
export * from './pricing';
export * from './quota';
export * from './rate-limit';
export * from './types';
