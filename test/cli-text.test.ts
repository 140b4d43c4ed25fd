/* eslint-disable no-control-regex -- control characters are what this file is about */
/** The CLI's terminal sanitiser and failure-chain reading, without a server. */
import { ActivityFailure, ApplicationFailure, CancelledFailure, WorkflowFailedError } from '@temporalio/client';
import { RetryState } from '@temporalio/common';
import { describeFailure, rootCause } from '../client/failure-cause.js';
import { createOutput, displayWidth, table } from '../client/output.js';
import { forTerminal } from '../client/terminal-text.js';
import { FAILURES, withFix } from '../shared/failures.js';

const HOSTILE = 'bad \u001b[2J\u001b[31mred\u001b[0m \u001b]0;pwned\u0007title \u009b1mC1 \rCR \u0000nul \u202eevil';

describe('forTerminal', () => {
  test('removes escape sequences and shows other control characters instead of sending them', () => {
    const safe = forTerminal(HOSTILE);
    expect(safe).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202e]/);
    expect(safe).toBe('bad red title C1 \\x0dCR \\x00nul \\u202eevil');
  });

  test('keeps ordinary text, newlines and tabs', () => {
    expect(forTerminal('a\tb\nc — ünïcode ★ $0.0370')).toBe('a\tb\nc — ünïcode ★ $0.0370');
  });
});

function capture() {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const stream = (into: string[]) => ({ write: (s: string) => into.push(s) > 0 });
  return { stdout, stderr, out: (json: boolean) => createOutput(json, stream(stdout), stream(stderr)) };
}

describe('table', () => {
  test('columns line up as a terminal draws them: Hindi, Japanese, emoji and sanitised control characters', () => {
    expect(displayWidth('नमस्ते')).toBe(4); // two vowel signs and a virama take no column
    expect(displayWidth('大特価')).toBe(6);
    expect(displayWidth('👍🏽 ok')).toBe(5);
    const lines = table([
      ['candidate', 'text', 'score'],
      ['draft #0', '"नमस्ते दुनिया" not measured', '0.5'],
      ['draft #1', '"大特価" read as "大特価"', '0.25'],
      ['draft #2', 'SALE\u001b[2J\r 👍🏽', '0.125'],
    ]).split('\n');
    // Right-aligned scores: every line ends in the same column.
    expect(new Set(lines.map(displayWidth)).size).toBe(1);
    expect(lines[3]).toContain('SALE\\x0d 👍🏽');
  });
});

describe('every CLI print path is sanitised', () => {
  test('result text, notes and errors', () => {
    const c = capture();
    const out = c.out(false);
    out.result({}, () => `failed: ${HOSTILE}`);
    out.note(HOSTILE);
    out.error('status', HOSTILE, 1);
    for (const line of [...c.stdout, ...c.stderr]) {
      expect(line).not.toMatch(/[\u001b\u009b\u0000\r\u202e]/);
    }
    expect(c.stderr.at(-1)).toMatch(/^thumbgate status: bad red/);
  });

  test('--json keeps the text, escaped: JSON escapes C0, the rest (C1, DEL, bidi overrides) as \\uNNNN', () => {
    const c = capture();
    c.out(true).error('result', HOSTILE, 1);
    expect(c.stdout.join('')).not.toMatch(/[\u001b\u0000\r]/);
    expect(JSON.parse(c.stdout.join(''))).toEqual({ error: HOSTILE, exitCode: 1 });
    // JSON.stringify leaves these raw, and a terminal obeys them (U+009B opens an escape sequence).
    const raw = { read: 'SALE\u009b2J\u0085\u007f \u202eWON\u2066' };
    const r = capture();
    r.out(true).result(raw, () => '');
    expect(r.stdout.join('')).not.toMatch(/[\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
    expect(r.stdout.join('')).toContain('SALE\\u009b2J\\u0085\\u007f \\u202eWON\\u2066');
    expect(JSON.parse(r.stdout.join(''))).toEqual(raw);
  });
});

describe('rootCause / describeFailure', () => {
  const blob = 'blob 0123abcd is not in the store';
  const chain = (inner: Error) =>
    new WorkflowFailedError(
      'Workflow execution failed',
      new ActivityFailure('Activity task failed', 'loadBriefs', '1', RetryState.MAXIMUM_ATTEMPTS_REACHED, 'w', inner),
      RetryState.NON_RETRYABLE_FAILURE
    );

  test('walks past the wrappers to the activity error, and adds the fix from the failure table', () => {
    const err = chain(ApplicationFailure.create({ type: 'BlobNotFoundError', message: blob }));
    expect(rootCause(err)).toEqual({ type: 'BlobNotFoundError', message: blob });
    const text = describeFailure(err);
    expect(text).toBe(withFix('BlobNotFoundError', blob));
    expect(text).not.toMatch(/Activity task failed/);
    expect(text).toMatch(/give the CLI and every worker the same THUMBGATE_STORE_DIR/);
  });

  test('a message that already carries its fix is not given it twice', () => {
    const stopped = withFix('ProviderKeyRejected', 'batch stopped: key rejected');
    const text = describeFailure(
      new WorkflowFailedError(
        'x',
        ApplicationFailure.nonRetryable(stopped, 'ProviderKeyRejected'),
        RetryState.NON_RETRYABLE_FAILURE
      )
    );
    expect(text).toBe(stopped);
    expect(text.split(FAILURES.ProviderKeyRejected.fix)).toHaveLength(2);
  });

  test('the innermost ApplicationFailure wins over outer ones; a cancellation gets the Cancelled fix', () => {
    const inner = ApplicationFailure.create({ type: 'ProviderOutOfCredits', message: 'no credits left' });
    const outer = ApplicationFailure.create({ type: 'Other', message: 'thumbnail x failed', cause: inner });
    expect(rootCause(chain(outer))).toMatchObject({ type: 'ProviderOutOfCredits' });
    expect(describeFailure(chain(new CancelledFailure('Workflow cancelled')))).toBe(
      withFix('Cancelled', 'Workflow cancelled')
    );
  });
});
