// Public entry of the LLM stub: an OpenAI-compatible test server with fault injection and a request log.
export { startLlmStub, stubModelId, keyOf, type LlmStub, type LlmStubOptions } from './server';
export {
  faultSchema,
  faultListSchema,
  faultMatchSchema,
  badToolCallVariants,
  parseFaults,
  parseFaultsJson,
  InvalidFaultError,
  type Fault,
  type FaultKind,
  type FaultMatch,
} from './faults';
export type { RequestKey } from './fault-queue';
export type { LoggedRequest, RequestOutcome } from './request-log';
export { modelParams, toChatMessages, chatCompletionRequestSchema, type ChatCompletionRequest } from './openai-request';
