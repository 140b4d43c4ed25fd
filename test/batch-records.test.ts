import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { BRIEF_PAGE_BYTES, createBatchRecordActivities } from '../activities/batch-records.js';
import { LocalBlobStore } from '../node/blob-store.js';
import type { BlobRef } from '../shared/blob-ref.js';
import type { ThumbnailBrief } from '../shared/thumbnail-brief.js';

describe('brief pages are bounded by bytes, not just counts', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'thumbgate-records-'));
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  test('a page of briefs with large metadata comes back shorter; reading on covers every brief once', async () => {
    const store = new LocalBlobStore(join(root, 'store'));
    const briefs: ThumbnailBrief[] = Array.from({ length: 200 }, (_, i) => ({
      id: `b${i}`,
      prompt: `brief ${i}`,
      width: 1280,
      height: 720,
      metadata: { notes: 'n'.repeat(4_000), channel: `c${i % 7}` },
    }));
    const manifest = await store.put(Buffer.from(briefs.map((b) => JSON.stringify(b)).join('\n') + '\n'), 'x');
    const { loadBriefs } = createBatchRecordActivities({ store });

    const first = await loadBriefs({ manifest, offset: 0, limit: 200 });
    expect(first.length).toBeLessThan(200);
    expect(Buffer.byteLength(JSON.stringify(first))).toBeLessThanOrEqual(BRIEF_PAGE_BYTES + 1_000);

    const seen: string[] = [];
    for (let offset = 0; offset < 200;) {
      const page = await loadBriefs({ manifest, offset, limit: 200 - offset });
      expect(page.length).toBeGreaterThan(0);
      seen.push(...page.map((b) => b.id));
      offset += page.length;
    }
    expect(seen).toEqual(briefs.map((b) => b.id));
  });
});

describe('the stored manifest is read back with its checks (node/stored-manifest.ts, shared with the output writer)', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'thumbgate-records-checks-'));
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  const brief = (id: string, width = 1280): ThumbnailBrief => ({ id, prompt: `brief ${id}`, width, height: 720 });

  async function refusal(store: LocalBlobStore, manifest: BlobRef): Promise<ApplicationFailure> {
    const err = await createBatchRecordActivities({ store })
      .loadBriefs({ manifest, offset: 0, limit: 10 })
      .then(
        () => undefined,
        (e: unknown) => e
      );
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect((err as ApplicationFailure).nonRetryable).toBe(true);
    return err as ApplicationFailure;
  }

  test.each([
    ['a duplicate id', [JSON.stringify(brief('twice')), JSON.stringify(brief('twice'))], /twice appears twice/],
    ['a line that is not JSON', [JSON.stringify(brief('ok')), '{"id": "cut'], /manifest line 2 is not JSON/],
    ['an id that is not safe as a file name', [JSON.stringify(brief('../evil'))], /"\.\.\/evil" is not a safe id/],
    ['a side out of bounds', [JSON.stringify(brief('wide', 100_000))], /brief wide width/],
  ])('refuses %s as InvalidManifest, naming it', async (_what, lines, message) => {
    const store = new LocalBlobStore(join(root, 'store'));
    const err = await refusal(store, await store.put(Buffer.from(lines.join('\n') + '\n'), 'x'));
    expect(err.type).toBe('InvalidManifest');
    expect(err.message).toMatch(message);
  });

  test('a manifest missing from the store is a non-retryable BlobNotFoundError naming the manifest', async () => {
    const err = await refusal(new LocalBlobStore(join(root, 'empty-store')), {
      sha256: 'a'.repeat(64),
      bytes: 1,
      contentType: 'application/x-ndjson',
    });
    expect(err.type).toBe('BlobNotFoundError');
    expect(err.message).toMatch(/the batch manifest/);
  });
});
