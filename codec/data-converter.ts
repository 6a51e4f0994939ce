/** `createDataConverter(env)`: the one data converter of workers, clients and the codec server. */
import type { DataConverter, PayloadCodec } from '@temporalio/common';
import { FileBlobStore, type BlobStore } from './blob-store';
import { ClaimCheckCodec } from './claim-check-codec';
import { EncryptionCodec } from './encryption-codec';
import { loadPayloadCodecSettings, type PayloadCodecSettings } from './settings';

export interface PayloadCodecsOptions {
  /** Store for large payloads; default a `FileBlobStore` on AGENT_BLOB_DIR. Pass your own (e.g. S3) here. */
  blobStore?: BlobStore;
}

/**
 * The codec chain, in encode order: encryption (when AGENT_PAYLOAD_KEYS is set; decrypt-only with
 * AGENT_PAYLOAD_KEY_ID=none), then claim check (unless AGENT_BLOB_STORE=off). Decoding runs it backwards:
 * fetch the blob, then decrypt. So blobs hold ciphertext, and history holds ciphertext or a reference
 * (`sha256` of the ciphertext and its size).
 */
export function createPayloadCodecs(
  settings: PayloadCodecSettings,
  options: PayloadCodecsOptions = {},
): PayloadCodec[] {
  const codecs: PayloadCodec[] = [];
  if (settings.keys.length > 0)
    codecs.push(new EncryptionCodec({ keys: settings.keys, currentKeyId: settings.currentKeyId }));
  if (settings.blobStore !== 'off') {
    codecs.push(
      new ClaimCheckCodec({
        store: options.blobStore ?? new FileBlobStore(settings.blobDir),
        thresholdBytes: settings.blobThresholdBytes,
      }),
    );
  }
  return codecs;
}

/**
 * Data converter from AGENT_PAYLOAD_KEYS, AGENT_PAYLOAD_KEY_ID, AGENT_BLOB_STORE, AGENT_BLOB_DIR and
 * AGENT_BLOB_THRESHOLD_BYTES. Give the same settings to every worker, client and codec server of a
 * namespace. Throws `PayloadCodecError` (`InvalidSettings`) on bad settings, naming what to change.
 *
 * @example
 * new Client({ connection, namespace, dataConverter: createDataConverter() });
 * Worker.create({ ..., dataConverter: createDataConverter() });
 */
export function createDataConverter(
  env: NodeJS.ProcessEnv = process.env,
  options: PayloadCodecsOptions = {},
): DataConverter {
  return { payloadCodecs: createPayloadCodecs(loadPayloadCodecSettings(env), options) };
}
