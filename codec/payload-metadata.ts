/** Reading payload metadata, shared by the codecs. */
import type { Payload } from '@temporalio/common';

/** A metadata value as UTF-8, or undefined when absent. */
export function metadataString(payload: Payload, key: string): string | undefined {
  const value = payload.metadata?.[key];
  return value ? Buffer.from(value).toString('utf8') : undefined;
}
