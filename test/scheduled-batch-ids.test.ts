/**
 * Batch ids of the scheduled form (`<schedule>-YYYYMMDD-HHmm`) belong to the schedule's own firings: any
 * other start under such an id is refused by the batch itself, so no client can take a future firing's
 * place (and have its signed callback stand for the real one). A schedule's template may not climb out
 * of the manifest root.
 */
import { resolveBatchOptions } from '../shared/batch-options.js';
import { validateBatchInput, type BatchWorkflowInput } from '../shared/batch-workflow.js';
import {
  manifestTemplateProblem,
  reservedBatchIdProblem,
  scheduleOfBatchId,
  scheduledBatchInputProblems,
  scheduledRun,
} from '../shared/schedule.js';
import { BatchState } from '../workflows/batch-state.js';
import { completionSummary } from '../workflows/batch-views.js';

const FIRING = 'scheduled-daily-hi-2026-11-26T00:30:00Z';

function input(batchId: string): BatchWorkflowInput {
  return {
    batchId,
    manifest: { sha256: 'a'.repeat(64), bytes: 1, contentType: 'application/x-ndjson' },
    thumbnails: 1,
    options: resolveBatchOptions(),
  };
}

describe('scheduled batch ids', () => {
  test('the scheduled form is recognised with its schedule; other ids are not', () => {
    const { batchId } = scheduledRun(
      { scheduleId: 'daily-hi', manifestTemplate: 'x.jsonl', timezone: 'Asia/Kolkata' },
      new Date('2026-11-26T00:30:00Z')
    );
    expect(batchId).toBe('daily-hi-20261126-0600');
    expect(scheduleOfBatchId(batchId)).toBe('daily-hi');
    for (const id of ['briefs-3f2a9c01d4', 'daily-hi-20261126', 'daily-hi-20261326-0600', 'x-20261126-2460', 'unit']) {
      expect(scheduleOfBatchId(id)).toBeUndefined();
    }
  });

  test('only a run of that schedule may start one', () => {
    expect(reservedBatchIdProblem('batchId', 'daily-hi-20261126-0600', FIRING)).toBeUndefined();
    expect(reservedBatchIdProblem('batchId', 'daily-hi-20261126-0600', 'scheduled-daily-2026-11-26T00:30:00Z')).toMatch(
      /reserved for the batches schedule "daily-hi" starts when it fires/
    );
    expect(reservedBatchIdProblem('batchId', 'daily-hi-20261126-0600', 'scheduled-daily-hi-by-hand')).toBeDefined();
    expect(reservedBatchIdProblem('--batch-id', 'daily-hi-20991231-0600')).toBe(
      '--batch-id "daily-hi-20991231-0600" has the form <schedule>-YYYYMMDD-HHmm, which is reserved for the ' +
        'batches schedule "daily-hi" starts when it fires — choose another id (e.g. without the time, or with a ' +
        'suffix such as -manual)'
    );
    expect(reservedBatchIdProblem('--batch-id', 'daily-hi-20991231-0600-manual')).toBeUndefined();
  });

  test('the batch workflow’s own validation refuses a scheduled id from anyone but its firing', () => {
    expect(() => validateBatchInput(input('daily-hi-20991231-0600'))).toThrow(
      /batchId "daily-hi-20991231-0600" has the form <schedule>-YYYYMMDD-HHmm/
    );
    expect(() => validateBatchInput(input('daily-hi-20991231-0600'), 'some-client-workflow')).toThrow(/reserved/);
    expect(() => validateBatchInput(input('daily-hi-20261126-0600'), FIRING)).not.toThrow();
    expect(() => validateBatchInput(input('briefs-3f2a9c01d4'))).not.toThrow();
  });

  test('a carry is accepted only on a run Temporal says was continued; a run that was not is checked in full', () => {
    const carried = (batchId: string): BatchWorkflowInput => ({
      ...input(batchId),
      carry: {} as BatchWorkflowInput['carry'],
    });
    expect(() => validateBatchInput(carried('briefs-3f2a9c01d4'))).toThrow(
      /carry is set only by the batch workflow itself when it continues as new/
    );
    expect(() => validateBatchInput(carried('daily-hi-20991231-0600'))).toThrow(/reserved/);
    expect(() => validateBatchInput(carried('daily-hi-20991231-0600'), undefined, 'run-1')).not.toThrow();
  });

  test('a firing may only name the batch of its own fire time (in some time zone)', () => {
    // 00:30Z is 06:00 in Kolkata; a day later or a minute off is no zone's local time.
    expect(reservedBatchIdProblem('batchId', 'daily-hi-20261127-0600', FIRING)).toMatch(/does not name the firing/);
    expect(reservedBatchIdProblem('batchId', 'daily-hi-20261126-0601', FIRING)).toMatch(/does not name the firing/);
    expect(reservedBatchIdProblem('batchId', 'daily-hi-20261125-1430', FIRING)).toBeUndefined();
  });

  test('the completion callback says which schedule started the batch, and nothing for one started by hand', () => {
    const at = new Date('2026-11-26T01:00:00Z');
    expect(completionSummary(new BatchState(input('daily-hi-20261126-0600')).view(), 'done', at)).toMatchObject({
      batchId: 'daily-hi-20261126-0600',
      schedule: 'daily-hi',
    });
    expect(completionSummary(new BatchState(input('briefs-3f2a9c01d4')).view(), 'done', at)).not.toHaveProperty(
      'schedule'
    );
  });
});

describe('manifest templates', () => {
  test('relative and absolute paths are the worker’s to place; `..` and control characters never', () => {
    expect(manifestTemplateProblem('manifestTemplate', 'briefs/{date}.jsonl')).toBeUndefined();
    expect(manifestTemplateProblem('manifestTemplate', '/srv/manifests/{date}.csv')).toBeUndefined();
    expect(manifestTemplateProblem('manifestTemplate', '../etc/{date}')).toMatch(/"\.\." and control characters/);
    expect(manifestTemplateProblem('manifestTemplate', 'a/../../b.csv')).toMatch(/"\.\."/);
    expect(manifestTemplateProblem('manifestTemplate', 'a\\..\\b.csv')).toMatch(/"\.\."/);
    expect(manifestTemplateProblem('manifestTemplate', 'a\nb.csv')).toMatch(/control characters/);
    expect(manifestTemplateProblem('manifestTemplate', '')).toMatch(/manifestTemplate must be a path/);
    expect(manifestTemplateProblem('manifestTemplate', 'b/{data}.csv')).toMatch(/unknown placeholder \{data\}/);
    expect(
      scheduledBatchInputProblems({
        scheduleId: 'daily',
        manifestTemplate: '../../proc/self/environ',
        timezone: 'UTC',
        options: resolveBatchOptions(),
      })
    ).toEqual([expect.stringMatching(/^manifestTemplate must be a path .* "\.\." and control characters/)]);
  });
});
