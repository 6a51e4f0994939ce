// Handler for POST /v1/chat/completions: validates the request, applies the next matching fault, replies from the brain.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { scriptedParams, scriptedReply } from '../stand-ins/scripted-brain';
import type { Fault } from './faults';
import type { FaultQueue } from './fault-queue';
import { readJson, sendJson, sleep, untilAborted, writeFlushed } from './http';
import { chatCompletionRequestSchema, modelParams, toChatMessages, toolNamesOf } from './openai-request';
import {
  completionBody,
  completionChunks,
  errorBody,
  sseDone,
  sseEvent,
  toWireToolCalls,
  usageFor,
  type ResponseMeta,
  type WireToolCall,
} from './openai-response';
import type { LoggedRequest, RequestOutcome } from './request-log';

export interface ChatCompletionContext {
  req: IncomingMessage;
  res: ServerResponse;
  /** Aborts when the response closes, i.e. when the client disconnects before the reply ends. */
  signal: AbortSignal;
  /** This request's log entry; the handler fills in the request fields and the fault. */
  entry: LoggedRequest;
  faults: FaultQueue;
}

type Outcome = Exclude<RequestOutcome, 'pending'>;

/** Serves one chat completion and returns how it ended; the caller records status and duration. */
export async function handleChatCompletion(ctx: ChatCompletionContext): Promise<Outcome> {
  const { res, signal, entry } = ctx;
  const parsed = chatCompletionRequestSchema.safeParse(await readJson(ctx.req));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const param = issue.path.join('.') || null;
    const message = `Invalid chat completion request: ${param ? `${param}: ` : ''}${issue.message}`;
    sendJson(res, 400, errorBody(400, { message, type: 'invalid_request_error', code: null, param }));
    return 'rejected';
  }
  const request = parsed.data;
  const tools = toolNamesOf(request);
  Object.assign(entry, {
    model: request.model,
    stream: request.stream === true,
    messageCount: request.messages.length,
    tools,
  });

  // Faults are taken only for valid requests, so a client bug does not silently use up a test's fault.
  const fault = ctx.faults.take(entry.key);
  if (fault) entry.fault = fault;

  switch (fault?.kind) {
    case 'status':
      sendJson(
        res,
        fault.status,
        errorBody(fault.status, fault),
        fault.retryAfterSeconds !== undefined ? { 'retry-after': String(fault.retryAfterSeconds) } : {},
      );
      return 'fault';
    case 'hang':
      await untilAborted(signal);
      return 'client-closed';
    case 'delay':
      if (!(await sleep(fault.ms, signal))) return 'client-closed';
      break;
    case 'reset':
      if (!request.stream || fault.afterChunks === undefined) {
        // RST rather than FIN: the client sees ECONNRESET, like a dropped load-balancer connection.
        res.socket?.resetAndDestroy();
        return 'fault';
      }
      break;
  }

  const messages = toChatMessages(request.messages);
  const reply = scriptedReply(messages, tools, scriptedParams(modelParams(request.model)));
  const meta: ResponseMeta = {
    id: `chatcmpl-stub-${entry.seq}`,
    created: Math.floor(Date.now() / 1000),
    model: request.model,
  };
  const usage = usageFor(messages, reply);
  const broken =
    fault?.kind === 'bad-tool-call'
      ? badToolCalls(fault, tools)
      : fault?.kind === 'tool-call'
        ? [
            {
              id: 'call_forced_1',
              type: 'function' as const,
              function: { name: fault.name, arguments: fault.arguments },
            },
          ]
        : undefined;
  const content = broken ? '' : reply.content;
  const toolCalls = broken ?? toWireToolCalls(reply.toolCalls);

  if (!request.stream) {
    if (fault?.kind === 'malformed-json') {
      const text = JSON.stringify(completionBody(meta, content, toolCalls, usage));
      // Cut mid-object: a 200 with a JSON content type that no JSON parser accepts.
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(text.slice(0, Math.floor(text.length / 2)));
      return 'fault';
    }
    sendJson(res, 200, completionBody(meta, content, toolCalls, usage));
    return fault && fault.kind !== 'delay' ? 'fault' : 'ok';
  }

  const includeUsage = request.stream_options?.include_usage === true;
  const chunks = completionChunks(meta, content, toolCalls, includeUsage ? usage : undefined);
  return streamChunks(ctx, chunks, fault);
}

async function streamChunks(ctx: ChatCompletionContext, chunks: object[], fault: Fault | undefined): Promise<Outcome> {
  const { res, signal } = ctx;
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
  });
  res.flushHeaders();
  const cutAfter = fault?.kind === 'reset' ? fault.afterChunks : undefined;
  for (const [index, chunk] of chunks.entries()) {
    if (signal.aborted) return 'client-closed';
    if (cutAfter !== undefined && index >= cutAfter) break;
    if (fault?.kind === 'malformed-json' && index === 1) {
      await writeFlushed(
        res,
        sseEvent('{"id":"chatcmpl-stub-broken","choices":[{"index":0,"delta":{"content":"unterminated'),
      );
      continue;
    }
    await writeFlushed(res, sseEvent(JSON.stringify(chunk)));
  }
  if (cutAfter !== undefined) {
    // Chunks already flushed arrive; the missing terminating chunk makes the client fail mid-stream.
    res.socket?.destroy();
    return 'fault';
  }
  if (signal.aborted) return 'client-closed';
  res.end(sseDone);
  return fault && fault.kind !== 'delay' ? 'fault' : 'ok';
}

/** The broken tool call for a `bad-tool-call` fault; it uses an offered tool's name unless the variant says otherwise. */
function badToolCalls(fault: Extract<Fault, { kind: 'bad-tool-call' }>, tools: string[]): WireToolCall[] {
  const name = tools[0] ?? 'calculator';
  const call = (fnName: string, args: string): WireToolCall[] => [
    { id: 'call_bad_1', type: 'function', function: { name: fnName, arguments: args } },
  ];
  switch (fault.variant ?? 'invalid-json') {
    case 'invalid-json':
      // Not a truncation: LangChain's partial-JSON parser would repair a cut-off string when streaming.
      return call(name, '{"expression": 1 + }');
    case 'not-object':
      return call(name, '["1 + 1"]');
    case 'unknown-tool':
      return call('no_such_tool', '{}');
  }
}
