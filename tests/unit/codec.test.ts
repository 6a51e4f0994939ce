/** Payload codecs as units: settings, AES-GCM encryption with key rotation, the blob store and the claim check. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { defaultPayloadConverter, type Payload, type PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import {
  blobRefEncoding,
  ClaimCheckCodec,
  createDataConverter,
  EncryptionCodec,
  FileBlobStore,
  loadPayloadCodecSettings,
  PayloadCodecError,
  type PayloadKey,
} from '../../codec';

const dirs: string[] = [];
const scratch = () => {
  const dir = mkdtempSync(join(tmpdir(), 'codec-'));
  dirs.push(dir);
  return dir;
};
after(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

const keyA: PayloadKey = { id: 'a', key: randomBytes(32) };
const keyB: PayloadKey = { id: 'b', key: randomBytes(32) };
const b64 = (k: PayloadKey) => k.key.toString('base64');
const payloadOf = (value: unknown): Payload => defaultPayloadConverter.toPayload(value);
const bytesOf = (p: Payload) => Buffer.from(temporal.api.common.v1.Payload.encode(p).finish());
const meta = (p: Payload, key: string) => (p.metadata?.[key] ? Buffer.from(p.metadata[key]).toString() : undefined);
const encodeAll = async (codecs: PayloadCodec[], ps: Payload[]) =>
  codecs.reduce(async (acc, c) => c.encode(await acc), Promise.resolve(ps));
const decodeAll = async (codecs: PayloadCodec[], ps: Payload[]) =>
  [...codecs].reverse().reduce(async (acc, c) => c.decode(await acc), Promise.resolve(ps));
const codecError = (type: string, pattern?: RegExp) => (err: unknown) =>
  err instanceof PayloadCodecError && err.type === type && (!pattern || pattern.test(err.message));

describe('settings', () => {
  test('off unless keys are set; blob store on with defaults', () => {
    const s = loadPayloadCodecSettings({});
    assert.deepEqual(s, {
      keys: [],
      currentKeyId: undefined,
      blobStore: 'fs',
      blobDir: '.data/blobs',
      blobThresholdBytes: 262_144,
    });
    assert.equal(loadPayloadCodecSettings({ AGENT_PAYLOAD_KEYS: '' }).currentKeyId, undefined);
  });

  test('keys with a current id; a single key is current by default', () => {
    const s = loadPayloadCodecSettings({
      AGENT_PAYLOAD_KEYS: ` a:${b64(keyA)} , b:${b64(keyB)} `,
      AGENT_PAYLOAD_KEY_ID: 'b',
    });
    assert.deepEqual(
      s.keys.map((k) => k.id),
      ['a', 'b'],
    );
    assert.ok(s.keys[1].key.equals(keyB.key));
    assert.equal(s.currentKeyId, 'b');
    assert.equal(loadPayloadCodecSettings({ AGENT_PAYLOAD_KEYS: `a:${b64(keyA)}` }).currentKeyId, 'a');
  });

  const bad: [string, NodeJS.ProcessEnv, RegExp][] = [
    [
      'a 16-byte key',
      { AGENT_PAYLOAD_KEYS: `short:${randomBytes(16).toString('base64')}` },
      /key "short" must be 32 bytes/,
    ],
    ['not base64', { AGENT_PAYLOAD_KEYS: 'a:not*base64' }, /key "a" must be 32 bytes in standard base64/],
    ['no id', { AGENT_PAYLOAD_KEYS: b64(keyA) }, /entry 1 must be id:base64key/],
    [
      'duplicate ids',
      { AGENT_PAYLOAD_KEYS: `a:${b64(keyA)},a:${b64(keyB)}`, AGENT_PAYLOAD_KEY_ID: 'a' },
      /"a" appears twice/,
    ],
    [
      'an unknown current id',
      { AGENT_PAYLOAD_KEYS: `a:${b64(keyA)}`, AGENT_PAYLOAD_KEY_ID: 'z' },
      /AGENT_PAYLOAD_KEY_ID: "z" is not among the key ids .*\(a\)/,
    ],
    [
      'several keys, no current id',
      { AGENT_PAYLOAD_KEYS: `a:${b64(keyA)},b:${b64(keyB)}` },
      /AGENT_PAYLOAD_KEY_ID: is required with several keys/,
    ],
    ['a current id without keys', { AGENT_PAYLOAD_KEY_ID: 'a' }, /set both or neither/],
    ['a tiny blob threshold', { AGENT_BLOB_THRESHOLD_BYTES: '10' }, /AGENT_BLOB_THRESHOLD_BYTES/],
  ];
  for (const [what, env, pattern] of bad) {
    test(`rejects ${what}, naming what to change and never the key`, () => {
      assert.throws(
        () => loadPayloadCodecSettings(env),
        (err: unknown) =>
          codecError('InvalidSettings', pattern)(err) &&
          !(err as Error).message.includes(b64(keyA)) &&
          !(err as Error).message.includes(b64(keyB)),
      );
    });
  }
});

describe('EncryptionCodec', () => {
  const codecA = new EncryptionCodec({ keys: [keyA], currentKeyId: 'a' });
  const originals = [
    payloadOf({ prompt: 'the launch code is 0000' }),
    payloadOf(new Uint8Array([1, 2, 3])),
    payloadOf(undefined),
  ];

  test('round trip restores data and metadata; stored form is binary/encrypted with the key id', async () => {
    const encoded = await codecA.encode(originals);
    for (const p of encoded) {
      assert.equal(meta(p, 'encoding'), 'binary/encrypted');
      assert.equal(meta(p, 'encryption-key-id'), 'a');
      assert.ok(!Buffer.from(p.data!).includes('launch code') && !Buffer.from(p.data!).includes('json/plain'));
    }
    const decoded = await codecA.decode(encoded);
    decoded.forEach((p, i) => assert.ok(bytesOf(p).equals(bytesOf(originals[i]))));
    const again = await codecA.encode(originals.slice(0, 1));
    assert.ok(
      !Buffer.from(again[0].data!).equals(Buffer.from(encoded[0].data!)),
      'same payload, same ciphertext: the IV is not random',
    );
  });

  test('rotation: payloads of the old key still decode, new ones use the new key, dropping the old key names it', async () => {
    const [old] = await codecA.encode(originals.slice(0, 1));
    const rotated = new EncryptionCodec({ keys: [keyA, keyB], currentKeyId: 'b' });
    assert.ok(bytesOf((await rotated.decode([old]))[0]).equals(bytesOf(originals[0])));
    const [fresh] = await rotated.encode(originals.slice(0, 1));
    assert.equal(meta(fresh, 'encryption-key-id'), 'b');
    const onlyB = new EncryptionCodec({ keys: [keyB], currentKeyId: 'b' });
    assert.ok(bytesOf((await onlyB.decode([fresh]))[0]).equals(bytesOf(originals[0])));
    await assert.rejects(
      onlyB.decode([old]),
      codecError('UnknownKeyId', /key id "a" is not in AGENT_PAYLOAD_KEYS \(this process holds: b\)/),
    );
  });

  test('tampered ciphertext, tag or key id is rejected', async () => {
    const [good] = await codecA.encode(originals.slice(0, 1));
    for (const index of [0, 20, good.data!.length - 1]) {
      const data = Buffer.from(good.data!);
      data[index] ^= 0x01;
      await assert.rejects(
        codecA.decode([{ ...good, data }]),
        codecError('DecryptFailed', /key "a": authentication failed/),
      );
    }
    // Same key bytes under another id: the id is authenticated, so relabelling fails too.
    const twoIds = new EncryptionCodec({ keys: [keyA, { id: 'a2', key: keyA.key }], currentKeyId: 'a' });
    const relabelled = { ...good, metadata: { ...good.metadata, 'encryption-key-id': Buffer.from('a2') } };
    await assert.rejects(twoIds.decode([relabelled]), codecError('DecryptFailed'));
  });

  test('decrypt-only (AGENT_PAYLOAD_KEY_ID=none) reads encrypted payloads and stores new ones plain', async () => {
    const settings = loadPayloadCodecSettings({ AGENT_PAYLOAD_KEYS: `a:${b64(keyA)}`, AGENT_PAYLOAD_KEY_ID: 'none' });
    assert.equal(settings.currentKeyId, undefined);
    const decryptOnly = new EncryptionCodec({ keys: settings.keys });
    const [old] = await codecA.encode(originals.slice(0, 1));
    assert.ok(bytesOf((await decryptOnly.decode([old]))[0]).equals(bytesOf(originals[0])));
    assert.equal((await decryptOnly.encode(originals.slice(0, 1)))[0], originals[0]);
    assert.throws(
      () => loadPayloadCodecSettings({ AGENT_PAYLOAD_KEYS: `none:${b64(keyA)}` }),
      codecError('InvalidSettings', /not "none"/),
    );
  });

  test('payloads that are not encrypted pass through (history from before encryption was on)', async () => {
    const [plain] = originals;
    assert.equal((await codecA.decode([plain]))[0], plain);
  });
});

describe('FileBlobStore', () => {
  test('write-once, atomic, content-addressed; missing is undefined; keys cannot escape the directory', async () => {
    const dir = scratch();
    const store = new FileBlobStore(dir);
    const key = 'ab'.repeat(32);
    await Promise.all(Array.from({ length: 10 }, () => store.put(key, Buffer.from('blob'))));
    const path = join(dir, 'ab', key);
    const { mtimeMs } = statSync(path);
    await store.put(key, Buffer.from('blob'));
    assert.equal(statSync(path).mtimeMs, mtimeMs);
    assert.deepEqual(readdirSync(join(dir, 'ab')), [key], 'temporary files left behind');
    assert.equal(Buffer.from((await store.get(key))!).toString(), 'blob');
    assert.equal(await store.get('cd'.repeat(32)), undefined);
    await assert.rejects(store.get('../../etc/passwd'), /Invalid blob key/);
  });
});

describe('ClaimCheckCodec', () => {
  const big = payloadOf({ text: 'x'.repeat(300_000) });
  const small = payloadOf({ text: 'small' });

  test('small payloads stay inline; large ones become a json/blob-ref and come back whole', async () => {
    const dir = scratch();
    const codec = new ClaimCheckCodec({ store: new FileBlobStore(dir) });
    const [inline, ref] = await codec.encode([small, big]);
    assert.equal(inline, small);
    assert.equal(meta(ref, 'encoding'), blobRefEncoding);
    const { sha256, size } = JSON.parse(Buffer.from(ref.data!).toString());
    assert.equal(size, bytesOf(big).length);
    assert.ok(existsSync(join(dir, sha256.slice(0, 2), sha256)));
    assert.ok(bytesOf(ref).length < 200, `reference is ${bytesOf(ref).length} bytes`);
    const [, back] = await codec.decode([inline, ref]);
    assert.ok(bytesOf(back).equals(bytesOf(big)));
  });

  test('a missing, changed or malformed blob fails clearly', async () => {
    const dir = scratch();
    const codec = new ClaimCheckCodec({ store: new FileBlobStore(dir) });
    const [ref] = await codec.encode([big]);
    const { sha256 } = JSON.parse(Buffer.from(ref.data!).toString());
    const path = join(dir, sha256.slice(0, 2), sha256);
    const changed = readFileSync(path);
    changed[100] ^= 0x01;
    writeFileSync(path, changed);
    await assert.rejects(codec.decode([ref]), codecError('BlobCorrupt', new RegExp(`${sha256} .* does not match`)));
    rmSync(path);
    await assert.rejects(
      codec.decode([ref]),
      codecError('BlobMissing', new RegExp(`${sha256} \\(\\d+ bytes\\) is not in the blob store at ${dir}`)),
    );
    const evil = { metadata: ref.metadata, data: Buffer.from(JSON.stringify({ sha256: '../../x', size: 1 })) };
    await assert.rejects(codec.decode([evil]), codecError('BlobCorrupt', /Malformed json\/blob-ref/));
  });
});

describe('createDataConverter', () => {
  test('encryption then claim check: blobs hold ciphertext, history a reference; decoding reverses it', async () => {
    const dir = scratch();
    const { payloadCodecs = [] } = createDataConverter({ AGENT_PAYLOAD_KEYS: `a:${b64(keyA)}`, AGENT_BLOB_DIR: dir });
    assert.deepEqual(
      payloadCodecs.map((c) => c.constructor.name),
      ['EncryptionCodec', 'ClaimCheckCodec'],
    );
    const secret = payloadOf({ text: `secret ${'y'.repeat(400_000)}` });
    const [stored] = await encodeAll(payloadCodecs, [secret]);
    assert.equal(meta(stored, 'encoding'), blobRefEncoding);
    const { sha256 } = JSON.parse(Buffer.from(stored.data!).toString());
    const blob = readFileSync(join(dir, sha256.slice(0, 2), sha256));
    assert.ok(!blob.includes('secret') && !blob.includes('yyyyyyyy') && blob.includes('binary/encrypted'));
    assert.ok(bytesOf((await decodeAll(payloadCodecs, [stored]))[0]).equals(bytesOf(secret)));
    assert.deepEqual(createDataConverter({ AGENT_BLOB_STORE: 'off' }).payloadCodecs, []);
  });
});
