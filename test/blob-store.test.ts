import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BlobNotFoundError, LocalBlobStore } from '../node/blob-store.js';

describe('LocalBlobStore', () => {
  let root: string;
  let store: LocalBlobStore;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'thumbgate-store-'));
    store = new LocalBlobStore(root);
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  test('addresses blobs by sha256 and reads them back', async () => {
    const bytes = Buffer.from('not really a jpeg');
    const ref = await store.put(bytes, 'image/jpeg');
    expect(ref).toEqual({
      sha256: createHash('sha256').update(bytes).digest('hex'),
      bytes: bytes.length,
      contentType: 'image/jpeg',
    });
    expect(await store.has(ref)).toBe(true);
    expect((await store.get(ref)).equals(bytes)).toBe(true);
  });

  test('storing the same bytes twice keeps one copy and leaves no temp files', async () => {
    const a = await store.put(Buffer.from('same'), 'image/png');
    const b = await store.put(Buffer.from('same'), 'image/png');
    expect(b).toEqual(a);
    const shard = join(root, 'sha256', a.sha256.slice(0, 2));
    expect(await readdir(shard)).toEqual([a.sha256]);
  });

  test('concurrent writers of the same blob all succeed', async () => {
    const bytes = Buffer.alloc(256 * 1024, 7);
    const refs = await Promise.all(Array.from({ length: 8 }, () => store.put(bytes, 'image/png')));
    expect(new Set(refs.map((r) => r.sha256)).size).toBe(1);
    expect((await store.get(refs[0]!)).equals(bytes)).toBe(true);
  });

  test('a missing blob is a typed error, and malformed references are refused', async () => {
    const missing = 'a'.repeat(64);
    await expect(store.get({ sha256: missing })).rejects.toBeInstanceOf(BlobNotFoundError);
    expect(await store.has({ sha256: missing })).toBe(false);
    expect(() => store.pathOf({ sha256: '../../etc/passwd' })).toThrow(/not a sha256/);
  });

  test('records round-trip and refuse unsafe names', async () => {
    await store.putRecord('candidates', 'abc123', { hello: 1 });
    expect(await store.getRecord('candidates', 'abc123')).toEqual({ hello: 1 });
    expect(await store.getRecord('candidates', 'nope')).toBeUndefined();
    await expect(store.putRecord('candidates', '../x', {})).rejects.toThrow(/record names/);
  });
});

test('listRecords lists a namespace in order and an unknown one as empty', async () => {
  const root = await mkdtemp(join(tmpdir(), 'thumbgate-store-'));
  const store = new LocalBlobStore(root);
  await store.putRecord('results-b1', 't2.draft', {});
  await store.putRecord('results-b1', 't1.draft', {});
  await store.putRecord('results-b2', 't9.draft', {});
  expect(await store.listRecords('results-b1')).toEqual(['t1.draft', 't2.draft']);
  expect(await store.listRecords('results-none')).toEqual([]);
  await rm(root, { recursive: true, force: true });
});
