/**
 * The catalog file (`AGENT_CATALOG_FILE`, JSON or YAML): templates and MCP servers a worker offers without code.
 *
 * Validated with zod; a bad file is refused with a message naming the field. `${VAR}` in an MCP server's
 * `env`, `headers` or `url` is taken from the worker's environment, so the file holds no secrets.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { describeZodError } from '../../agents/errors';
import { compileJsonSchema } from '../../agents/structured-output-schema';
import type { McpServerConfig } from '../../activities/tools/mcp-connection';

/** Template and MCP server names: they become run inputs, search attributes and tool-name prefixes. */
export const agentNameSchema = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,64}$/, 'use letters, digits, _ and - only, at most 64');

const jsonSchemaObject = z
  .record(z.string(), z.unknown())
  .refine((schema) => JSON.stringify(schema).length <= 50_000, 'schema is larger than 50,000 characters')
  .superRefine((schema, ctx) => {
    const compiled = compileJsonSchema(schema);
    if ('error' in compiled) ctx.addIssue({ code: 'custom', message: `not a usable JSON Schema: ${compiled.error}` });
  });

export const catalogFileTemplateSchema = z.strictObject({
  name: agentNameSchema,
  description: z.string().max(2000).optional(),
  systemPrompt: z.string().min(1).max(100_000),
  /** Tool names or `*` globs (`calculator`, `files__*`), expanded when a run starts. Default none. */
  tools: z.array(z.string().min(1).max(200)).max(200).default([]),
  /** Steps a run may take. Default 8. */
  maxSteps: z.number().int().min(1).max(10_000).default(8),
  /** JSON Schema of the run input. Default `{ task: string }`. */
  input: jsonSchemaObject.optional(),
  /** JSON Schema the final answer must satisfy (structured output). */
  outputSchema: jsonSchemaObject.optional(),
  /** Templates a run may hand the conversation over to (any the workers offer), checked when a run starts. Default none. */
  handoffs: z.array(agentNameSchema).max(50).optional(),
});
export type CatalogFileTemplate = z.infer<typeof catalogFileTemplateSchema>;

const stringMap = z.record(z.string().min(1).max(200), z.string().max(10_000));

/** `{ command, args?, env?, cwd? }` (stdio) or `{ url, headers? }` (streamable HTTP), as `@langchain/mcp-adapters` takes them. */
export const mcpServerConfigSchema = z
  .strictObject({
    command: z.string().min(1).max(1000).optional(),
    args: z.array(z.string().max(10_000)).max(200).optional(),
    env: stringMap.optional(),
    cwd: z.string().min(1).max(1000).optional(),
    url: z.string().min(1).max(2000).optional(),
    headers: stringMap.optional(),
  })
  .superRefine((server, ctx) => {
    const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
    if (server.command === undefined && server.url === undefined)
      issue('command', 'give either command (stdio) or url (streamable HTTP)');
    if (server.command !== undefined && server.url !== undefined)
      issue('url', 'give either command (stdio) or url (streamable HTTP), not both');
    if (server.url !== undefined) {
      for (const key of ['args', 'env', 'cwd'] as const)
        if (server[key] !== undefined) issue(key, `only a command (stdio) server takes ${key}`);
    } else if (server.headers !== undefined) issue('headers', 'only a url (HTTP) server takes headers');
  })
  .transform((server): McpServerConfig => {
    const { command, url, ...rest } = server;
    const defined = Object.fromEntries(Object.entries(rest).filter(([, value]) => value !== undefined));
    return url !== undefined ? { url, ...defined } : { command: command!, ...defined };
  });

export const catalogFileSchema = z
  .strictObject({
    templates: z.array(catalogFileTemplateSchema).max(1000).default([]),
    mcpServers: z.record(z.string(), mcpServerConfigSchema).default({}),
  })
  .superRefine((file, ctx) => {
    const seen = new Set<string>();
    file.templates.forEach((template, i) => {
      if (seen.has(template.name))
        ctx.addIssue({
          code: 'custom',
          path: ['templates', i, 'name'],
          message: `template "${template.name}" is declared twice`,
        });
      seen.add(template.name);
    });
    // Checked here rather than as the record's key schema, whose message would not say what is wrong.
    for (const name of Object.keys(file.mcpServers)) {
      const checked = agentNameSchema.safeParse(name);
      if (!checked.success)
        ctx.addIssue({
          code: 'custom',
          path: ['mcpServers', name],
          message: `server name: ${checked.error.issues[0].message}`,
        });
    }
  });
export type CatalogFile = z.infer<typeof catalogFileSchema>;

/** A catalog file that cannot be used; the message says where and what to change. */
export class CatalogFileError extends Error {
  override readonly name = 'CatalogFileError';
}

/** Parses a catalog file's text (YAML is a superset of JSON, so one parser reads both). */
export function parseCatalogFile(text: string, source: string, env: NodeJS.ProcessEnv = process.env): CatalogFile {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    throw new CatalogFileError(`Invalid catalog in ${source}: not JSON or YAML (${(err as Error).message})`);
  }
  const parsed = catalogFileSchema.safeParse(raw ?? {});
  if (!parsed.success) throw new CatalogFileError(`Invalid catalog in ${source}: ${describeZodError(parsed.error)}`);
  const mcpServers: Record<string, McpServerConfig> = {};
  for (const [name, server] of Object.entries(parsed.data.mcpServers))
    mcpServers[name] = expandEnv(server, `mcpServers.${name}`, source, env);
  return { ...parsed.data, mcpServers };
}

export function readCatalogFile(path: string, env: NodeJS.ProcessEnv = process.env): CatalogFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new CatalogFileError(`Cannot read catalog file ${path}: ${(err as Error).message}`);
  }
  return parseCatalogFile(text, path, env);
}

/** Replaces `${VAR}` in url, env and headers with the worker's environment; an unset variable is an error naming the field. */
function expandEnv(server: McpServerConfig, path: string, source: string, env: NodeJS.ProcessEnv): McpServerConfig {
  const expand = (value: string, field: string) =>
    value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name: string) => {
      const found = env[name];
      if (found === undefined)
        throw new CatalogFileError(
          `Invalid catalog in ${source}: ${path}.${field}: environment variable ${name} is not set`,
        );
      return found;
    });
  const expandMap = (map: Record<string, string> | undefined, field: string) =>
    map && Object.fromEntries(Object.entries(map).map(([k, v]) => [k, expand(v, `${field}.${k}`)]));
  if ('url' in server)
    return {
      url: expand(server.url, 'url'),
      ...(server.headers ? { headers: expandMap(server.headers, 'headers') } : {}),
    };
  return { ...server, ...(server.env ? { env: expandMap(server.env, 'env') } : {}) };
}
