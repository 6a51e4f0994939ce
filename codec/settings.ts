/** Codec settings from env (zod): encryption keys AGENT_PAYLOAD_*, claim-check store AGENT_BLOB_*. */
import { z } from 'zod';
import { describeZodError, ErrorType } from '../agents/errors';
import { PayloadCodecError } from './errors';

/** One AES-256 key and the id that names it in payload metadata (the id is public, the key is secret). */
export interface PayloadKey {
  id: string;
  /** 32 bytes. */
  key: Buffer;
}

export interface PayloadCodecSettings {
  /** Keys that may decrypt; empty when encryption is off. */
  keys: PayloadKey[];
  /** Id of the key that encrypts new payloads; undefined when encryption is off or decrypt-only. */
  currentKeyId?: string;
  /** `fs`: payloads over the threshold go to `blobDir`; `off`: every payload stays inline. */
  blobStore: 'fs' | 'off';
  blobDir: string;
  /** Payloads larger than this (bytes, encoded) go to the blob store. */
  blobThresholdBytes: number;
}

const keyIdPattern = /^[A-Za-z0-9._-]{1,64}$/;
/** AGENT_PAYLOAD_KEY_ID value for decrypt-only: keys read old payloads, new payloads are stored plain. */
export const decryptOnlyKeyId = 'none';
const base64Pattern = /^[A-Za-z0-9+/]+={0,2}$/;
/** Temporal warns at 512 KiB per payload and fails at 2 MB; several payloads under the threshold can share one request. */
export const defaultBlobThresholdBytes = 256 * 1024;

/** Empty strings count as unset, so `AGENT_PAYLOAD_KEYS=` in a compose file leaves encryption off. */
const optionalString = z.preprocess((v) => (v === '' ? undefined : v), z.string().optional());

// Issues never quote a key entry: a malformed entry may be key material.
const keyringSchema = z.string().transform((raw, ctx): PayloadKey[] => {
  const keys: PayloadKey[] = [];
  const entries = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  entries.forEach((entry, i) => {
    const sep = entry.indexOf(':');
    const id = sep > 0 ? entry.slice(0, sep) : '';
    const encoded = entry.slice(sep + 1);
    if (!keyIdPattern.test(id) || id === decryptOnlyKeyId) {
      ctx.addIssue({
        code: 'custom',
        message: `entry ${i + 1} must be id:base64key with an id of 1-64 letters, digits, '.', '_' or '-' (not "${decryptOnlyKeyId}")`,
      });
    } else if (!base64Pattern.test(encoded) || Buffer.from(encoded, 'base64').length !== 32) {
      ctx.addIssue({
        code: 'custom',
        message: `key "${id}" must be 32 bytes in standard base64 (e.g. \`openssl rand -base64 32\`)`,
      });
    } else if (keys.some((k) => k.id === id)) {
      ctx.addIssue({ code: 'custom', message: `key id "${id}" appears twice; ids must be unique` });
    } else {
      keys.push({ id, key: Buffer.from(encoded, 'base64') });
    }
  });
  if (entries.length === 0) ctx.addIssue({ code: 'custom', message: 'no keys; unset it to turn encryption off' });
  return keys;
});

export const payloadCodecEnvSchema = z
  .object({
    /** Comma-separated `id:base64key` pairs (32-byte AES-256 keys). Unset: payloads are not encrypted. */
    AGENT_PAYLOAD_KEYS: z.preprocess((v) => (v === '' ? undefined : v), keyringSchema.optional()),
    /** Id of the key that encrypts new payloads, or `none` (decrypt only). Default: the only key, when there is one. */
    AGENT_PAYLOAD_KEY_ID: optionalString,
    /** `fs` (default) or `off`. */
    AGENT_BLOB_STORE: z.enum(['fs', 'off']).default('fs'),
    /** Directory of the filesystem blob store. Default `.data/blobs` (relative to the working directory). */
    AGENT_BLOB_DIR: z.string().min(1).default('.data/blobs'),
    /** Payloads above this many bytes go to the blob store. Default 262,144 (256 KiB); 1 KiB to 1 MiB. */
    AGENT_BLOB_THRESHOLD_BYTES: z.coerce
      .number()
      .int()
      .min(1024)
      .max(1024 * 1024)
      .default(defaultBlobThresholdBytes),
  })
  .superRefine((env, ctx) => {
    const ids = (env.AGENT_PAYLOAD_KEYS ?? []).map((k) => k.id);
    const current = env.AGENT_PAYLOAD_KEY_ID;
    if (current !== undefined && ids.length === 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['AGENT_PAYLOAD_KEY_ID'],
        message: 'is set but AGENT_PAYLOAD_KEYS is not; set both or neither',
      });
    } else if (current !== undefined && current !== decryptOnlyKeyId && !ids.includes(current)) {
      // Quote the value only when it looks like an id: a key pasted here by mistake must not reach a log.
      ctx.addIssue({
        code: 'custom',
        path: ['AGENT_PAYLOAD_KEY_ID'],
        message: `${keyIdPattern.test(current) ? `"${current}"` : 'its value'} is not among the key ids in AGENT_PAYLOAD_KEYS (${ids.join(', ')})`,
      });
    } else if (current === undefined && ids.length > 1) {
      ctx.addIssue({
        code: 'custom',
        path: ['AGENT_PAYLOAD_KEY_ID'],
        message: `is required with several keys: set it to the id that encrypts new payloads (one of ${ids.join(', ')}) or to "${decryptOnlyKeyId}"`,
      });
    }
  });

/** Reads and checks the codec settings; throws `PayloadCodecError` (`InvalidSettings`) saying what to change. */
export function loadPayloadCodecSettings(env: NodeJS.ProcessEnv = process.env): PayloadCodecSettings {
  const parsed = payloadCodecEnvSchema.safeParse(env);
  if (!parsed.success)
    throw new PayloadCodecError(
      ErrorType.InvalidSettings,
      `Invalid payload codec settings: ${describeZodError(parsed.error)}`,
    );
  const data = parsed.data;
  const keys = data.AGENT_PAYLOAD_KEYS ?? [];
  return {
    keys,
    currentKeyId:
      data.AGENT_PAYLOAD_KEY_ID === decryptOnlyKeyId ? undefined : (data.AGENT_PAYLOAD_KEY_ID ?? keys[0]?.id),
    blobStore: data.AGENT_BLOB_STORE,
    blobDir: data.AGENT_BLOB_DIR,
    blobThresholdBytes: data.AGENT_BLOB_THRESHOLD_BYTES,
  };
}

/** One line for startup logs: what is encrypted and what goes to the blob store (key ids only, never keys). */
export function describePayloadCodecSettings(settings: PayloadCodecSettings): string {
  const ids = settings.keys.map((k) => k.id).join(', ');
  const encryption = settings.currentKeyId
    ? `encrypted with key "${settings.currentKeyId}" (decrypts ${ids})`
    : settings.keys.length
      ? `not encrypted, decrypt-only (decrypts ${ids})`
      : 'not encrypted (set AGENT_PAYLOAD_KEYS to encrypt)';
  const blobs =
    settings.blobStore === 'off'
      ? 'blob store off'
      : `over ${settings.blobThresholdBytes} bytes stored in ${settings.blobDir}`;
  return `${encryption}; ${blobs}`;
}
