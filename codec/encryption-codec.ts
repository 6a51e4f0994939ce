/** `EncryptionCodec`: AES-256-GCM payload encryption with key ids in metadata, so keys can rotate. */
import { createCipheriv, createDecipheriv, createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { ErrorType } from '../agents/errors';
import { PayloadCodecError } from './errors';
import { metadataString } from './payload-metadata';
import type { PayloadKey } from './settings';

/** Metadata `encoding` of an encrypted payload. */
export const encryptedEncoding = 'binary/encrypted';
/** Metadata key naming the key that encrypted the payload (public; the key itself never leaves the process). */
export const encryptionKeyIdMetadataKey = 'encryption-key-id';

const ivBytes = 12;
const tagBytes = 16;
const ProtoPayload = temporal.api.common.v1.Payload;

export interface EncryptionCodecOptions {
  /** Every key that may decrypt: the current one and those rotated out whose payloads may still be read. */
  keys: PayloadKey[];
  /** Id of the key that encrypts new payloads; must be among `keys`. Undefined: decrypt only, new payloads stay plain. */
  currentKeyId?: string;
}

/**
 * Encrypts each whole payload (its metadata and data, serialized) with AES-256-GCM under the current key.
 * The stored payload says only `binary/encrypted` and the key id. Decoding picks the key by that id, so
 * payloads written before a rotation still decode while the old key is listed; a payload that is not
 * encrypted passes through (histories from before encryption was turned on keep working). Without a current
 * key it only decrypts: the step that lets a fleet turn encryption on or off without a reader lacking a key.
 *
 * @example
 * const codec = new EncryptionCodec({ keys: [{ id: '2025-06', key }], currentKeyId: '2025-06' });
 * const dataConverter = { payloadCodecs: [codec] };
 */
export class EncryptionCodec implements PayloadCodec {
  private readonly keys = new Map<string, KeyObject>();
  private readonly currentKeyId?: string;

  constructor(options: EncryptionCodecOptions) {
    for (const { id, key } of options.keys) {
      if (key.length !== 32)
        throw new PayloadCodecError(
          ErrorType.InvalidSettings,
          `Encryption key "${id}" has ${key.length} bytes; AES-256 needs 32`,
        );
      this.keys.set(id, createSecretKey(key));
    }
    if (options.currentKeyId !== undefined && !this.keys.has(options.currentKeyId)) {
      throw new PayloadCodecError(
        ErrorType.InvalidSettings,
        `Current key id "${options.currentKeyId}" is not among the keys (${[...this.keys.keys()].join(', ')})`,
      );
    }
    this.currentKeyId = options.currentKeyId;
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    const keyId = this.currentKeyId;
    if (keyId === undefined) return payloads;
    const key = this.keys.get(keyId)!;
    return payloads.map((payload) => {
      const iv = randomBytes(ivBytes);
      const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: tagBytes });
      // The key id is authenticated too: a payload relabelled with another id fails to decrypt.
      cipher.setAAD(additionalData(keyId));
      const body = Buffer.concat([cipher.update(ProtoPayload.encode(payload).finish()), cipher.final()]);
      return {
        metadata: { encoding: Buffer.from(encryptedEncoding), [encryptionKeyIdMetadataKey]: Buffer.from(keyId) },
        data: Buffer.concat([iv, body, cipher.getAuthTag()]),
      };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      if (metadataString(payload, 'encoding') !== encryptedEncoding) return payload;
      const keyId = metadataString(payload, encryptionKeyIdMetadataKey);
      const key = keyId === undefined ? undefined : this.keys.get(keyId);
      if (keyId === undefined || !key) {
        throw new PayloadCodecError(
          ErrorType.UnknownKeyId,
          `Cannot decrypt payload: encryption key id "${keyId ?? '(none)'}" is not in AGENT_PAYLOAD_KEYS (this process holds: ${[...this.keys.keys()].join(', ')}). ` +
            'Add the key that had this id back to AGENT_PAYLOAD_KEYS.',
        );
      }
      const data = payload.data ?? new Uint8Array();
      if (data.length < ivBytes + tagBytes) throw decryptFailed(keyId, 'it is too short');
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, ivBytes), { authTagLength: tagBytes });
        decipher.setAAD(additionalData(keyId));
        decipher.setAuthTag(data.subarray(data.length - tagBytes));
        const plain = Buffer.concat([
          decipher.update(data.subarray(ivBytes, data.length - tagBytes)),
          decipher.final(),
        ]);
        return ProtoPayload.decode(plain);
      } catch {
        throw decryptFailed(
          keyId,
          'authentication failed (the ciphertext was changed, or the key listed under this id is not the one that encrypted it)',
        );
      }
    });
  }
}

function additionalData(keyId: string): Buffer {
  return Buffer.from(`${encryptedEncoding};${keyId}`);
}

function decryptFailed(keyId: string, why: string): PayloadCodecError {
  return new PayloadCodecError(ErrorType.DecryptFailed, `Cannot decrypt payload encrypted with key "${keyId}": ${why}`);
}
