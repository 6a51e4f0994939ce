/**
 * The access policy: which users (through roles) may use which templates, models and tools, and their
 * rate limits and quotas. Loaded by the worker from `AGENT_POLICY_FILE` (JSON, re-read when it changes)
 * or `AGENT_POLICY` (inline JSON); without either, everything is allowed and nothing is limited.
 */
import { readFileSync, statSync } from 'node:fs';
import { z } from 'zod';
import { mergeApprovals, type ApprovalOptions } from '../../agents/approval';
import { describeZodError } from '../../agents/errors';
import { quotaPeriods } from '../../agents/ledger';
import { priceSchema } from '../../agents/ledger-schema';
import { approvalOptionsSchema } from '../../agents/run';

const globList = z.array(z.string().min(1).max(200)).max(1000);
const roleName = z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'use letters, digits and . _ - only');

export const rateLimitPolicySchema = z.strictObject({
  /** Model calls allowed per window, across all of the user's runs and all workers. */
  requests: z.number().int().positive().max(1_000_000),
  /** Length of the sliding window, in seconds. */
  windowSeconds: z.number().positive().max(86_400),
  /** `wait`: the run sleeps (a durable timer) until a slot frees; `fail`: the run fails with `RateLimited`. Default `wait`. */
  onLimit: z.enum(['wait', 'fail']).default('wait'),
  /**
   * Added to the window, in milliseconds, to absorb the delay between the ledger's grant and the
   * provider receiving the request, so the provider never sees more than `requests` in any window. Default 250.
   */
  guardMs: z.number().int().min(0).max(10_000).default(250),
});
export type RateLimitPolicy = z.infer<typeof rateLimitPolicySchema>;

export const quotaPolicySchema = z
  .strictObject({
    /** Input + output tokens per period. */
    tokens: z.number().int().positive().optional(),
    /** US dollars per period, priced with the price table. */
    usd: z.number().positive().optional(),
    /** Calendar period in UTC. Default `day`. */
    period: z.enum(quotaPeriods).default('day'),
    /** `pause`: the run pauses (status `paused`) until resumed; `fail`: it fails with `QuotaExceeded`. Default `fail`. */
    onExceeded: z.enum(['pause', 'fail']).default('fail'),
    /** Output tokens a call is assumed to produce before the ledger has seen one of that model. Default 256. */
    expectedOutputTokens: z.number().int().nonnegative().default(256),
  })
  .refine((q) => q.tokens !== undefined || q.usd !== undefined, 'a quota needs tokens, usd or both');
export type QuotaPolicy = z.infer<typeof quotaPolicySchema>;

export const roleSchema = z.strictObject({
  /** Template names, `*` globs allowed. Default `["*"]`. */
  templates: globList.default(['*']),
  /** Model specs `provider:model` without `?options`, globs allowed (`openai:gpt-4o*`). Default `["*"]`. */
  models: globList.default(['*']),
  /** Tool names, globs allowed. Default `["*"]`. */
  tools: globList.default(['*']),
  rateLimit: rateLimitPolicySchema.optional(),
  quota: quotaPolicySchema.optional(),
  /**
   * Tool calls of this role's users that wait for a person's decision, as `options.approval` (same shape), even
   * when the run's options do not ask for it. Rules of several roles and the run's own merge (`mergeApprovals`).
   */
  approval: approvalOptionsSchema.optional(),
});

const toggle = z.strictObject({ enabled: z.boolean() });

export const policySchema = z
  .strictObject({
    roles: z.record(roleName, roleSchema),
    /** User id → role names. */
    users: z.record(z.string().min(1).max(128), z.array(roleName).min(1)).default({}),
    /** Roles of users not listed in `users`. Default `[]`: unknown users may use nothing. */
    defaultRoles: z.array(roleName).default([]),
    /** Turn middleware off by name (`auth`, `rate-limit`, `quota`, `logging`). */
    middleware: z.record(z.string(), toggle).default({}),
    /** Price overrides, USD per 1M tokens, by model glob; checked before the built-in table. */
    pricing: z.record(z.string().min(1).max(200), priceSchema).default({}),
  })
  .superRefine((policy, ctx) => {
    const known = new Set(Object.keys(policy.roles));
    const check = (names: string[], path: (string | number)[]) =>
      names.forEach((name, i) => {
        if (!known.has(name))
          ctx.addIssue({
            code: 'custom',
            path: [...path, i],
            message: `unknown role "${name}"; define it under roles`,
          });
      });
    for (const [user, roles] of Object.entries(policy.users)) check(roles, ['users', user]);
    check(policy.defaultRoles, ['defaultRoles']);
  });
export type Policy = z.infer<typeof policySchema>;
/** A policy as written (defaults may be left out). */
export type PolicyInput = z.input<typeof policySchema>;

/** Used when no policy is configured: every user may use everything, without limits. */
export const permissivePolicy: Policy = policySchema.parse({ roles: { default: {} }, defaultRoles: ['default'] });

/**
 * What one user may do under a policy: allow-lists are the union of the user's roles; limits come from the first role
 * that sets them; approval rules of all the roles merge (`mergeApprovals`).
 */
export interface UserPolicy {
  user: string;
  roles: string[];
  templates: RegExp[];
  models: RegExp[];
  tools: RegExp[];
  rateLimit?: RateLimitPolicy;
  quota?: QuotaPolicy;
  /** Tool calls that wait for a person's decision, whatever the run's options say. */
  approval?: ApprovalOptions;
}

const resolved = new WeakMap<Policy, Map<string, UserPolicy>>();

export function resolveUserPolicy(policy: Policy, user: string): UserPolicy {
  let byUser = resolved.get(policy);
  if (!byUser) resolved.set(policy, (byUser = new Map()));
  let found = byUser.get(user);
  if (!found) {
    const roles = policy.users[user] ?? policy.defaultRoles;
    const defs = roles.map((r) => policy.roles[r]);
    found = {
      user,
      roles,
      templates: defs.flatMap((d) => d.templates).map(globToRegExp),
      models: defs.flatMap((d) => d.models).map(globToRegExp),
      tools: defs.flatMap((d) => d.tools).map(globToRegExp),
      rateLimit: defs.find((d) => d.rateLimit)?.rateLimit,
      quota: defs.find((d) => d.quota)?.quota,
      approval: mergeApprovals(...defs.map((d) => d.approval)),
    };
    if (byUser.size > 10_000) byUser.clear();
    byUser.set(user, found);
  }
  return found;
}

export function allows(patterns: RegExp[], name: string): boolean {
  return patterns.some((p) => p.test(name));
}

/** `*` matches any run of characters; everything else is literal. */
export function globToRegExp(glob: string): RegExp {
  return new RegExp(
    `^${glob
      .split('*')
      .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );
}

/** A policy that cannot be used; the message says where and what to change. */
export class PolicyError extends Error {
  override readonly name = 'PolicyError';
}

export function parsePolicy(json: string, source: string): Policy {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (err) {
    throw new PolicyError(`Invalid policy in ${source}: not JSON (${(err as Error).message})`);
  }
  const parsed = policySchema.safeParse(raw);
  if (!parsed.success) throw new PolicyError(`Invalid policy in ${source}: ${describeZodError(parsed.error)}`);
  return parsed.data;
}

/** The policy in force; a file source re-reads its file when it changes. */
export interface PolicySource {
  current(): Policy;
  /** Where it comes from, for logs. */
  readonly description: string;
}

export function staticPolicySource(policy: Policy, description = 'inline policy'): PolicySource {
  return { current: () => policy, description };
}

export interface FilePolicySourceOptions {
  /** How often, at most, the file's modification time is checked, in milliseconds. Default 1,000. */
  checkIntervalMs?: number;
  /** Told when a changed file is invalid (the previous policy stays in force). Default `console.error`. */
  onInvalid?: (error: Error) => void;
  /** Told when a changed file was loaded. */
  onReload?: (policy: Policy) => void;
}

/** Reads the file now (throws `PolicyError` if it is unusable) and again whenever it changes. */
export function filePolicySource(path: string, options: FilePolicySourceOptions = {}): PolicySource {
  const read = () => {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      throw new PolicyError(`Cannot read policy file ${path}: ${(err as Error).message}`);
    }
    return parsePolicy(text, path);
  };
  const stamp = () => {
    try {
      const s = statSync(path);
      return `${s.mtimeMs}:${s.size}`;
    } catch {
      return 'missing';
    }
  };
  let policy = read();
  let seen = stamp();
  let checkedAt = Date.now();
  const interval = options.checkIntervalMs ?? 1000;
  return {
    description: `policy file ${path}`,
    current() {
      const now = Date.now();
      if (now - checkedAt < interval) return policy;
      checkedAt = now;
      const next = stamp();
      if (next === seen) return policy;
      seen = next;
      try {
        policy = read();
        options.onReload?.(policy);
      } catch (err) {
        (options.onInvalid ?? ((e) => console.error(`${e.message}; keeping the previous policy`)))(err as Error);
      }
      return policy;
    },
  };
}

/** `AGENT_POLICY_FILE`, else `AGENT_POLICY`, else the permissive policy. Throws `PolicyError` for a bad one. */
export function loadPolicySource(
  env: NodeJS.ProcessEnv = process.env,
  options: FilePolicySourceOptions = {},
): PolicySource {
  if (env.AGENT_POLICY_FILE) return filePolicySource(env.AGENT_POLICY_FILE, options);
  if (env.AGENT_POLICY) return staticPolicySource(parsePolicy(env.AGENT_POLICY, 'AGENT_POLICY'), 'AGENT_POLICY');
  return staticPolicySource(permissivePolicy, 'no policy configured: everything allowed, nothing limited');
}
