import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BRIEF_PAGE_BYTES, createBatchRecordActivities } from '../activities/batch-records.js';
import { LocalBlobStore } from '../node/blob-store.js';
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
