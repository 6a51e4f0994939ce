/**
 * Your own agents on a worker (`createAgentWorker({ agents })`): option types, the catalog file's schema and the
 * errors they raise. Re-exported by `temporal-agents/worker`; worker-side only (LangChain, MCP, zod).
 */
export type { AgentsOptions } from './worker-agents';
export { defaultTemplateMaxSteps, TemplateRegistryError, type AgentTemplateDefinition } from './template-registry';
export {
  catalogFileSchema,
  CatalogFileError,
  parseCatalogFile,
  readCatalogFile,
  type CatalogFile,
  type CatalogFileTemplate,
} from './catalog-file';
export { ToolRegistryError, type AgentToolInput, type ToolSource } from '../../activities/tools/tool-registry';
export { mcpToolSeparator, ToolUnavailableError, type McpServerConfig } from '../../activities/tools/mcp-connection';
