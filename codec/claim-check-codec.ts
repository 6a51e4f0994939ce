/** `ClaimCheckCodec`: payloads over a size threshold go to a `BlobStore`; history keeps a small reference. */
import { createHash } from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import type { BlobStore } from './blob-store';
import { ErrorType } from '../agents/errors';
import { PayloadCodecError } from './errors';
import { metadataString } from './payload-metadata';
import { defaultBlobThresholdBytes } from './settings';

/** Metadata `encoding` of a reference to a stored payload. */
export const blobRefEncoding = 'json/blob-ref';

/** The data of a `json/blob-ref` payload. */
export interface BlobRef {
  /** Lowercase hex SHA-256 of the stored bytes (the whole serialized payload). */
  sha256: string;
  /** Bytes stored. */
  size: number;
}

export interface ClaimCheckCodecOptions {
  store: BlobStore;
  /** Payloads whose serialized size is above this many bytes are stored by reference. Default 262,144 (256 KiB). */
  thresholdBytes?: number;
}

const ProtoPayload = temporal.api.common.v1.Payload;

/**
 * Keeps workflow inputs (a continue-as-new carrying a large conversation), activity results and query
 * results far below Temporal's 2 MB payload limit: a payload larger than the threshold is stored whole
 * (metadata and data) under its SHA-256 and replaced by `{ sha256, size }` with encoding `json/blob-ref`.
 * Decoding fetches the blob and checks hash and size. Put it after `EncryptionCodec` in `payloadCodecs`,
 * so what reaches the store is already encrypted.
 *
 * @example
 * const dataConverter = { payloadCodecs: [encryption, new ClaimCheckCodec({ store: new FileBlobStore('.data/blobs') })] };
 */
export class ClaimCheckCodec implements PayloadCodec {
  private readonly store: BlobStore;
  private readonly thresholdBytes: number;

  constructor(options: ClaimCheckCodecOptions) {
    this.store = options.store;
    this.thresholdBytes = options.thresholdBytes ?? defaultBlobThresholdBytes;
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return Promise.all(
      payloads.map(async (payload) => {
        const bytes = ProtoPayload.encode(payload).finish();
        if (bytes.length <= this.thresholdBytes) return payload;
        const ref: BlobRef = { sha256: sha256Hex(bytes), size: bytes.length };
        await this.store.put(ref.sha256, bytes);
        return { metadata: { encoding: Buffer.from(blobRefEncoding) }, data: Buffer.from(JSON.stringify(ref)) };
      }),
    );
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return Promise.all(
      payloads.map(async (payload) => {
        if (metadataString(payload, 'encoding') !== blobRefEncoding) return payload;
        const ref = parseRef(payload);
        const bytes = await this.store.get(ref.sha256);
        if (!bytes) {
          throw new PayloadCodecError(
            ErrorType.BlobMissing,
            `Payload blob ${ref.sha256} (${ref.size} bytes) is not in the blob store at ${this.store.location}. ` +
              'Workers, clients and the codec server must share one store (AGENT_BLOB_DIR on a shared volume, or a shared BlobStore).',
          );
        }
        if (bytes.length !== ref.size || sha256Hex(bytes) !== ref.sha256) {
          throw new PayloadCodecError(
            ErrorType.BlobCorrupt,
            `Payload blob ${ref.sha256} in ${this.store.location} does not match its reference (hash or size differs)`,
          );
        }
        return ProtoPayload.decode(bytes);
      }),
    );
  }
}

function parseRef(payload: Payload): BlobRef {
  try {
    const ref = JSON.parse(Buffer.from(payload.data ?? []).toString('utf8')) as Partial<BlobRef>;
    if (typeof ref.sha256 === 'string' && /^[0-9a-f]{64}$/.test(ref.sha256) && Number.isInteger(ref.size))
      return ref as BlobRef;
  } catch {
    // reported below
  }
  throw new PayloadCodecError(
    ErrorType.BlobCorrupt,
    `Malformed ${blobRefEncoding} payload: expected {"sha256": <64 hex>, "size": <bytes>}`,
  );
}

function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
