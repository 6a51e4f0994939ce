/** Errors of the payload codecs and their settings: one class, a stable `type` to branch on. */

export const PayloadCodecErrorType = {
  /** AGENT_PAYLOAD_* or AGENT_BLOB_* settings are malformed. */
  InvalidSettings: 'InvalidSettings',
  /** A payload names an encryption key id this process does not hold. */
  UnknownKeyId: 'UnknownKeyId',
  /** Ciphertext or its metadata was changed, or the key with that id is a different key. */
  DecryptFailed: 'DecryptFailed',
  /** A payload reference points at a blob the store does not have. */
  BlobMissing: 'BlobMissing',
  /** A stored blob does not match the hash or size in its reference. */
  BlobCorrupt: 'BlobCorrupt',
} as const;
export type PayloadCodecErrorType = (typeof PayloadCodecErrorType)[keyof typeof PayloadCodecErrorType];

/**
 * Raised by `EncryptionCodec`, `ClaimCheckCodec` and `loadPayloadCodecSettings`. Messages name the key id or
 * blob hash and what to change; they never contain key material or payload content.
 */
export class PayloadCodecError extends Error {
  override readonly name = 'PayloadCodecError';
  constructor(
    readonly type: PayloadCodecErrorType,
    message: string,
  ) {
    super(message);
  }
}
