/** The v2 job timeline on an injected clock, without HTTP. */
import { JobTable, type JobEnd, type NewJob } from '../../emulator/job-table.js';
import type { RenderedImage } from '../../emulator/render.js';

const TTL_MS = 60_000;
const image: RenderedImage = {
  bytes: Buffer.from('img'),
  contentType: 'image/jpeg',
  width: 448,
  height: 256,
  defect: 'clean',
  severity: 0,
};

function setup() {
  const clock = { t: 1_000 };
  const ends: Array<[string, JobEnd]> = [];
  const table = new JobTable(
    () => clock.t,
    TTL_MS,
    (id, end) => ends.push([id, end])
  );
  const add = (id: string, extra: Partial<NewJob> = {}) =>
    table.add({
      id,
      apiKey: 'k',
      model: 'flux-schnell',
      prompt: 'p',
      seed: 1,
      width: 448,
      height: 256,
      gpuSeconds: 1.1,
      costMicros: 7_920,
      format: 'jpg',
      acceptedAt: clock.t,
      queueMs: 1_000,
      processingMs: 2_000,
      ...extra,
    });
  return { clock, ends, table, add };
}

describe('JobTable', () => {
  test('queued → processing → (waits for the render) → completed → expired, settled once', () => {
    const { clock, ends, table, add } = setup();
    const job = add('a');
    expect([job.startAt, job.doneAt]).toEqual([2_000, 4_000]);
    expect(table.visibleStatus('a')).toBe('QUEUED');
    clock.t = 2_000;
    expect(table.visibleStatus('a')).toBe('PROCESSING');
    clock.t = 4_500;
    // The time is up but the image is not rendered yet: still processing, nothing settled.
    expect(table.visibleStatus('a')).toBe('PROCESSING');
    expect(ends).toEqual([]);
    table.rendered(job, image);
    expect(table.visibleStatus('a')).toBe('COMPLETED');
    expect(job.finishedAt).toBe(4_500);
    table.sweep();
    expect(ends).toEqual([['a', 'ok']]);

    clock.t = 4_500 + TTL_MS - 1;
    expect(table.visibleStatus('a')).toBe('COMPLETED');
    clock.t = 4_500 + TTL_MS;
    expect(table.visibleStatus('a')).toBeUndefined();
    expect(job.expired).toBe(true);
    expect(job.image).toBeUndefined(); // the bytes are deleted with the result
    expect(ends).toEqual([['a', 'ok']]);
  });

  test('a render finished early completes only when the clock reaches doneAt', () => {
    const { clock, ends, table, add } = setup();
    const job = add('b');
    table.rendered(job, image);
    expect(table.status(job)).toBe('QUEUED');
    clock.t = 3_999;
    expect(table.status(job)).toBe('PROCESSING');
    expect(ends).toEqual([]);
    clock.t = 4_000;
    expect(table.status(job)).toBe('COMPLETED');
    expect(ends).toEqual([['b', 'ok']]);
  });

  test('job-failed and render errors end FAILED and settle as failed', () => {
    const { clock, ends, table, add } = setup();
    const injected = add('c', { fault: 'job-failed' });
    const broken = add('d');
    table.rendered(injected, image);
    table.renderFailed(broken, 'sharp exploded');
    clock.t = 4_000;
    expect([table.status(injected), table.status(broken)]).toEqual(['FAILED', 'FAILED']);
    expect(ends).toEqual([
      ['c', 'failed'],
      ['d', 'failed'],
    ]);
  });

  test('the expired fault deletes the result the moment the job finishes', () => {
    const { clock, table, add } = setup();
    const job = add('e', { fault: 'expired' });
    table.rendered(job, image);
    clock.t = 3_999;
    expect(table.visibleStatus('e')).toBe('PROCESSING');
    clock.t = 4_000;
    expect(table.visibleStatus('e')).toBeUndefined();
    expect(job.expired).toBe(true);
  });

  test('a media fault is taken by the first download only; other faults are not media faults', () => {
    const { table, add } = setup();
    const drip = add('f', { fault: 'slow-drip' });
    expect(table.takeMediaFault(drip)).toBe('slow-drip');
    expect(table.takeMediaFault(drip)).toBeUndefined();
    expect(table.takeMediaFault(add('g', { fault: 'job-failed' }))).toBeUndefined();
  });

  test('clear forgets every job', () => {
    const { table, add } = setup();
    add('h');
    table.clear();
    expect(table.get('h')).toBeUndefined();
    expect(table.visibleStatus('h')).toBeUndefined();
  });
});
