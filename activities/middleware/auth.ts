/**
 * `authMiddleware`: the policy decides which templates, models and tools a user may use.
 *
 * A denied model call fails the run with `PermissionDenied` (not retried). A denied tool call is answered
 * with an error tool message, so the model can carry on without it; it is logged and counted in the
 * user's ledger (`deniedCalls`).
 */
import { ToolMessage } from '@langchain/core/messages';
import { agentFailure, ErrorType } from '../../agents/errors';
import { allows, type UserPolicy } from './policy';
import { middlewarePriority, type AgentMiddleware } from './types';

export interface AuthMiddlewareOptions {
  /** Default {@link middlewarePriority.auth}. */
  priority?: number;
  enabled?: boolean;
}

export function authMiddleware(options: AuthMiddlewareOptions = {}): AgentMiddleware {
  return {
    name: 'auth',
    priority: options.priority ?? middlewarePriority.auth,
    enabled: options.enabled ?? true,

    async wrapModelCall(request, handler) {
      const { context: ctx } = request;
      const { policy } = ctx;
      const model = (ctx.model ?? '').split('?')[0];
      const denied = !allows(policy.templates, ctx.template)
        ? (['template', ctx.template] as const)
        : !allows(policy.models, model)
          ? (['model', model] as const)
          : undefined;
      if (denied) {
        ctx.outcome = 'denied';
        const [what, name] = denied;
        throw agentFailure(
          ErrorType.PermissionDenied,
          `${who(policy)} may not use ${what} "${name}"; ${remedy(policy, what)}`,
          {
            nonRetryable: true,
            details: [{ user: ctx.user, roles: policy.roles, [what]: name }],
          },
        );
      }
      return handler(request);
    },

    async wrapToolCall(request, handler) {
      const { context: ctx } = request;
      const name = request.toolCall.name;
      if (allows(ctx.policy.tools, name)) return handler(request);
      ctx.outcome = 'denied';
      ctx.log.warn('tool call denied by policy', {
        event: 'tool_denied',
        user: ctx.user,
        roles: ctx.policy.roles,
        tool: name,
        step: ctx.step,
      });
      try {
        await ctx.ledger?.commit(ctx.user, {
          key: ctx.callKey,
          kind: 'denied',
          name,
          inputTokens: 0,
          outputTokens: 0,
          cachedTokens: 0,
          usd: 0,
        });
      } catch (err) {
        // Counting is best effort: the denial itself must still reach the model.
        ctx.log.warn('could not count a denied tool call in the ledger', { error: (err as Error).message });
      }
      return new ToolMessage({
        content: `Error: permission denied: ${who(ctx.policy)} may not use tool "${name}". Answer without it.`,
        tool_call_id: request.toolCall.id,
        name,
        status: 'error',
      });
    },
  };
}

function who(policy: UserPolicy): string {
  return `user "${policy.user}" (roles: ${policy.roles.join(', ') || 'none'})`;
}

function remedy(policy: UserPolicy, what: 'template' | 'model'): string {
  return policy.roles.length === 0
    ? 'the user is not in the policy and defaultRoles is empty: add the user under "users" or set "defaultRoles"'
    : `allow it in the ${what}s of one of those roles, or give the user a role that has it`;
}
