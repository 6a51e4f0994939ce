/** Errors of the payload codecs and their settings: one class; its `type` is one of the shared `ErrorType`s. */
import { ErrorType } from '../agents/errors';

/** The `ErrorType`s a {@link PayloadCodecError} carries (see agents/errors.ts and docs/errors.md). */
export type PayloadCodecErrorType =
  | typeof ErrorType.InvalidSettings
  | typeof ErrorType.UnknownKeyId
  | typeof ErrorType.DecryptFailed
  | typeof ErrorType.BlobMissing
  | typeof ErrorType.BlobCorrupt;

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
