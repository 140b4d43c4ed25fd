import { batchStartLabels } from '../shared/batch-labels.js';
import { resolveBatchOptions } from '../shared/batch-options.js';

const firstParagraph = (o: Parameters<typeof resolveBatchOptions>[0]): string =>
  batchStartLabels('b1', 3, resolveBatchOptions(o)).staticDetails.split('\n\n')[0]!;

describe('batch start labels', () => {
  test('draft steps are shown for the per-GPU-second draft models, where they set the price', () => {
    expect(firstParagraph({})).toBe('**3 thumbnails** — 4 drafts each on flux-schnell at 4 steps');
    expect(firstParagraph({ draftModel: 'fast-flux-schnell', draftSteps: 2 })).toBe(
      '**3 thumbnails** — 4 drafts each on fast-flux-schnell at 2 steps'
    );
    expect(firstParagraph({ draftModel: 'flux-1.1-pro' })).toBe('**3 thumbnails** — 4 drafts each on flux-1.1-pro');
  });
});
