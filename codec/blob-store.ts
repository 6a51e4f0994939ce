/** `BlobStore`: where large payloads go (claim check); `FileBlobStore` keeps them in a directory. */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

/**
 * Content-addressed, write-once storage for payload bytes. Keys are lowercase hex SHA-256 of the bytes.
 * Every worker, client and codec server of a namespace must reach the same store: implement these two
 * methods over S3, GCS or a database to share one across hosts.
 */
export interface BlobStore {
  /** Stores `data` under `key` (its SHA-256). Storing a key that exists already does nothing. */
  put(key: string, data: Uint8Array): Promise<void>;
  /** The bytes under `key`, or undefined when the store has none. */
  get(key: string): Promise<Uint8Array | undefined>;
  /** Where blobs live, for error messages (e.g. a directory or a bucket URL). */
  readonly location: string;
}

const keyPattern = /^[0-9a-f]{64}$/;

/**
 * Blobs as files `<dir>/<first 2 hex>/<sha256>`. Writes go to a temporary file in the same directory and
 * are renamed into place, so a reader never sees half a blob and concurrent writers of the same content
 * are harmless. Share `dir` between hosts with a shared volume (NFS, EFS, a compose named volume).
 */
export class FileBlobStore implements BlobStore {
  readonly location: string;

  constructor(dir: string) {
    this.location = resolve(dir);
  }

  async put(key: string, data: Uint8Array): Promise<void> {
    const path = this.pathOf(key);
    if (await exists(path)) return;
    await mkdir(join(path, '..'), { recursive: true });
    const temporary = `${path}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      await writeFile(temporary, data, { flag: 'wx' });
      await rename(temporary, path);
    } catch (err) {
      await unlink(temporary).catch(() => undefined);
      throw err;
    }
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    try {
      return await readFile(this.pathOf(key));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  private pathOf(key: string): string {
    // Keys come from payload references, which anyone who can write history controls: no path tricks.
    if (!keyPattern.test(key))
      throw new Error(`Invalid blob key "${key.slice(0, 80)}": expected 64 lowercase hex characters (SHA-256)`);
    return join(this.location, key.slice(0, 2), key);
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
