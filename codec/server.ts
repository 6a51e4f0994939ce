/** Codec server (`npm run codec-server`): Temporal's codec HTTP protocol over our codecs, for the Web UI and CLI. */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { z } from 'zod';
import { describeZodError } from '../agents/errors';
import { createPayloadCodecs } from './data-converter';
import { loadPayloadCodecSettings } from './settings';

export const codecServerEnvSchema = z.object({
  CODEC_SERVER_PORT: z.coerce.number().int().min(0).max(65535).default(8888),
  /** Interface to listen on. Default loopback only: the server hands out plaintext. */
  CODEC_SERVER_HOST: z.string().min(1).default('127.0.0.1'),
  /** Comma-separated browser origins allowed to call it (the Web UI's). */
  CODEC_CORS_ORIGINS: z.string().default('http://localhost:8233'),
  /** When set, requests need `Authorization: Bearer <token>`. */
  CODEC_AUTH_TOKEN: z.preprocess(
    (v) => (v === '' ? undefined : v),
    z.string().min(16, 'use at least 16 characters').optional(),
  ),
});

export interface CodecServerOptions {
  /** Codecs in encode order, as in `DataConverter.payloadCodecs`. */
  codecs: PayloadCodec[];
  /** Default 8888; 0 picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Origins allowed by CORS. Default `['http://localhost:8233']`. */
  corsOrigins?: string[];
  /** Bearer token requests must carry; none when omitted. */
  authToken?: string;
  /** Largest request body in bytes. Default 16 MiB. */
  maxBodyBytes?: number;
}

export interface CodecServer {
  url: string;
  server: Server;
  close(): Promise<void>;
}

/** Payloads as the protocol sends them: proto3 JSON, bytes in base64. */
const jsonPayloadsSchema = z.object({
  payloads: z.array(z.object({ metadata: z.record(z.string(), z.string()).nullish(), data: z.string().nullish() })),
});
type JsonPayload = z.infer<typeof jsonPayloadsSchema>['payloads'][number];

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export async function startCodecServer(options: CodecServerOptions): Promise<CodecServer> {
  const origins = new Set(options.corsOrigins ?? ['http://localhost:8233']);
  const tokenDigest = options.authToken === undefined ? undefined : digest(`Bearer ${options.authToken}`);
  const maxBodyBytes = options.maxBodyBytes ?? 16 * 1024 * 1024;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const origin = req.headers.origin;
    if (origin && origins.has(origin)) {
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Access-Control-Allow-Credentials', 'true');
    }
    res.setHeader('Vary', 'Origin');
    if (req.method === 'OPTIONS') {
      res.setHeader('Access-Control-Allow-Methods', 'POST, OPTIONS');
      res.setHeader(
        'Access-Control-Allow-Headers',
        req.headers['access-control-request-headers'] ?? 'content-type, x-namespace, authorization',
      );
      res.setHeader('Access-Control-Max-Age', '600');
      return void res.writeHead(204).end();
    }
    // The protocol says to look only at the last path segment, so the server can be mounted at any prefix.
    const path = (req.url ?? '/').split('?')[0].replace(/\/+$/, '');
    const action = path.endsWith('/encode') ? 'encode' : path.endsWith('/decode') ? 'decode' : undefined;
    if (!action) throw new HttpError(404, 'Not found: POST …/encode or …/decode');
    if (req.method !== 'POST') throw new HttpError(405, 'Use POST');
    if (tokenDigest && !timingSafeEqual(digest(req.headers.authorization ?? ''), tokenDigest)) {
      res.setHeader('WWW-Authenticate', 'Bearer');
      throw new HttpError(401, 'Missing or wrong bearer token (CODEC_AUTH_TOKEN)');
    }
    const body = await readBody(req, maxBodyBytes);
    let parsed: z.infer<typeof jsonPayloadsSchema>;
    try {
      const result = jsonPayloadsSchema.safeParse(JSON.parse(body));
      if (!result.success) throw new HttpError(400, `Invalid body: ${describeZodError(result.error)}`);
      parsed = result.data;
    } catch (err) {
      throw err instanceof HttpError ? err : new HttpError(400, 'Body is not JSON');
    }
    let payloads = parsed.payloads.map(fromJson);
    try {
      const chain = action === 'encode' ? options.codecs : [...options.codecs].reverse();
      for (const codec of chain)
        payloads = action === 'encode' ? await codec.encode(payloads) : await codec.decode(payloads);
    } catch (err) {
      throw new HttpError(400, `Cannot ${action}: ${err instanceof Error ? err.message : String(err)}`);
    }
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ payloads: payloads.map(toJson) }));
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err) => {
      const status = err instanceof HttpError ? err.status : 500;
      if (status === 500) console.error(`codec server: ${err instanceof Error ? err.message : err}`);
      if (!res.headersSent) res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end(err instanceof HttpError ? err.message : 'Internal error');
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 8888, options.host ?? '127.0.0.1', () => resolve());
  });
  const { address, port } = server.address() as AddressInfo;
  return {
    url: `http://${address.includes(':') ? `[${address}]` : address}:${port}`,
    server,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function fromJson({ metadata, data }: JsonPayload): Payload {
  return {
    metadata: Object.fromEntries(Object.entries(metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
    data: Buffer.from(data ?? '', 'base64'),
  };
}

function toJson({ metadata, data }: Payload): JsonPayload {
  return {
    metadata: Object.fromEntries(
      Object.entries(metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
    ),
    data: Buffer.from(data ?? []).toString('base64'),
  };
}

/** Compared as digests so `timingSafeEqual` gets equal lengths and the time says nothing about the token. */
function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

async function readBody(req: IncomingMessage, maxBytes: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) throw new HttpError(413, `Body over ${maxBytes} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Settings: CODEC_SERVER_PORT (8888), CODEC_SERVER_HOST (127.0.0.1), CODEC_CORS_ORIGINS (http://localhost:8233),
 * CODEC_AUTH_TOKEN (optional bearer token), plus the workers' AGENT_PAYLOAD_* and AGENT_BLOB_* settings. It answers
 * with plaintext: keep it private (docs/security.md).
 */
async function main(): Promise<void> {
  const parsed = codecServerEnvSchema.safeParse(process.env);
  if (!parsed.success) throw new Error(`Invalid codec server settings: ${describeZodError(parsed.error)}`);
  const env = parsed.data;
  const settings = loadPayloadCodecSettings();
  if (settings.keys.length === 0)
    console.warn('AGENT_PAYLOAD_KEYS is not set: this server only resolves blob references, it decrypts nothing');
  const server = await startCodecServer({
    codecs: createPayloadCodecs(settings),
    port: env.CODEC_SERVER_PORT,
    host: env.CODEC_SERVER_HOST,
    corsOrigins: env.CODEC_CORS_ORIGINS.split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    authToken: env.CODEC_AUTH_TOKEN,
  });
  console.log(
    `codec server on ${server.url} (keys: ${settings.keys.map((k) => k.id).join(', ') || 'none'}; blobs: ${settings.blobStore === 'off' ? 'off' : settings.blobDir}; ` +
      `CORS: ${env.CODEC_CORS_ORIGINS}; auth: ${env.CODEC_AUTH_TOKEN ? 'bearer token' : 'none'})`,
  );
  const stop = () => void server.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (require.main === module) {
  main().catch((err) => {
    console.error(`codec server failed: ${err instanceof Error ? err.message : err}`);
    process.exit(1);
  });
}
