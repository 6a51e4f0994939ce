/**
 * The worker's middleware settings: the policy (`AGENT_POLICY_FILE` or `AGENT_POLICY`) and
 * `AGENT_LOG_PROMPTS`. Loaded before connecting, so a bad policy stops the worker at once with one line.
 */
import type { MiddlewareDeps } from '../activities/call-middleware';
import { loadPolicySource } from '../activities/middleware/policy';

export function loadMiddlewareDeps(
  env: NodeJS.ProcessEnv = process.env,
): MiddlewareDeps & { policyDescription: string } {
  const policy = loadPolicySource(env, {
    onReload: () => console.log(`policy reloaded from ${env.AGENT_POLICY_FILE}`),
    onInvalid: (err) => console.error(`${err.message}; keeping the previous policy`),
  });
  return { policy, logPrompts: env.AGENT_LOG_PROMPTS === '1', policyDescription: policy.description };
}
