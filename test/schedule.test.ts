/** A schedule's rules without a server: fire time → date, manifest path and batch id; the CLI's checks. */
import { cronProblem } from '../client/cron.js';
import { isSafeId } from '../shared/thumbnail-brief.js';
import {
  MAX_SCHEDULE_ID_CHARS,
  scheduleIdProblem,
  scheduledRun,
  templateProblem,
  timezoneProblem,
} from '../shared/schedule.js';

const schedule = (timezone: string) => ({
  scheduleId: 'daily-hi',
  manifestTemplate: '/srv/briefs/{date}/hi-{date}.jsonl',
  timezone,
});

describe('scheduledRun: the fire time in the schedule’s time zone', () => {
  test('20:00 UTC on the 25th is already the 26th in Kolkata (UTC+5:30)', () => {
    expect(scheduledRun(schedule('Asia/Kolkata'), new Date('2026-11-25T20:00:00Z'))).toEqual({
      date: '2026-11-26',
      batchId: 'daily-hi-20261126-0130',
      manifestPath: '/srv/briefs/2026-11-26/hi-2026-11-26.jsonl',
    });
  });

  test('the same instant is still the 25th in UTC and in Los Angeles', () => {
    expect(scheduledRun(schedule('UTC'), new Date('2026-11-25T20:00:00Z')).batchId).toBe('daily-hi-20261125-2000');
    expect(scheduledRun(schedule('America/Los_Angeles'), new Date('2026-11-26T05:00:00Z'))).toMatchObject({
      date: '2026-11-25',
      batchId: 'daily-hi-20261125-2100',
    });
  });

  test('local midnight is 00, never 24, and a cron of 06:00 Kolkata fires at 00:30 UTC', () => {
    expect(scheduledRun(schedule('Asia/Kolkata'), new Date('2026-11-25T18:30:00Z')).batchId).toBe(
      'daily-hi-20261126-0000'
    );
    expect(scheduledRun(schedule('Asia/Kolkata'), new Date('2026-11-26T00:30:00Z')).batchId).toBe(
      'daily-hi-20261126-0600'
    );
  });

  test('daylight saving is the zone’s: 01:30 UTC on the day London springs forward is 02:30 BST', () => {
    expect(scheduledRun(schedule('Europe/London'), new Date('2026-03-29T01:30:00Z')).batchId).toBe(
      'daily-hi-20260329-0230'
    );
  });

  test('a template without a placeholder reads the same file every time', () => {
    const run = scheduledRun({ ...schedule('UTC'), manifestTemplate: '/srv/briefs/today.jsonl' }, new Date());
    expect(run.manifestPath).toBe('/srv/briefs/today.jsonl');
  });

  test('the longest schedule id still makes a valid batch id', () => {
    const id = 'a'.repeat(MAX_SCHEDULE_ID_CHARS);
    expect(scheduleIdProblem('SCHEDULE_ID', id)).toBeUndefined();
    expect(isSafeId(scheduledRun({ ...schedule('UTC'), scheduleId: id }, new Date()).batchId)).toBe(true);
    expect(scheduleIdProblem('SCHEDULE_ID', `${id}a`)).toMatch(/at most 86 characters here/);
    expect(scheduleIdProblem('SCHEDULE_ID', '../up')).toMatch(/SCHEDULE_ID must be letters, digits/);
  });
});

describe('the CLI’s checks before a schedule is created', () => {
  test('templates: {date} is the one placeholder; none is fine; an unknown one names itself', () => {
    expect(templateProblem('--manifest', 'briefs/{date}.jsonl')).toBeUndefined();
    expect(templateProblem('--manifest', 'briefs/today.jsonl')).toBeUndefined();
    expect(templateProblem('--manifest', 'briefs/{data}.jsonl')).toMatch(
      /--manifest has an unknown placeholder \{data\}: the one placeholder is \{date\}/
    );
    expect(templateProblem('--manifest', 'briefs/{}.jsonl')).toMatch(/unknown placeholder \{\}/);
  });

  test('time zones: IANA names only, spelled as the server spells them', () => {
    expect(timezoneProblem('--timezone', 'Asia/Kolkata')).toBeUndefined();
    expect(timezoneProblem('--timezone', 'UTC')).toBeUndefined();
    expect(timezoneProblem('--timezone', 'Mars/Olympus_Mons')).toMatch(
      /--timezone "Mars\/Olympus_Mons" is not a known time zone — use an IANA time zone name such as Asia\/Kolkata/
    );
    expect(timezoneProblem('--timezone', '+05:30')).toMatch(/must be an IANA time zone name/);
    expect(timezoneProblem('--timezone', 'asia/kolkata')).toMatch(
      /must be spelled as in the tz database, e\.g\. "Asia\/Kolkata"/
    );
  });

  test('cron: five fields or a shorthand; each bad field is named', () => {
    for (const ok of ['0 6 * * *', '*/15 9-17 * * MON-FRI', '30 6 1,15 jan,jul 0', '0 0 * * 7', '@daily']) {
      expect(cronProblem('--cron', ok)).toBeUndefined();
    }
    expect(cronProblem('--cron', '0 6 * *')).toMatch(
      /--cron "0 6 \* \*" is not valid: it has 4 fields — use five fields/
    );
    expect(cronProblem('--cron', '0 25 * * *')).toMatch(/hour "25" is not 0–23/);
    expect(cronProblem('--cron', '61 6 * * *')).toMatch(/minute "61" is not 0–59/);
    expect(cronProblem('--cron', '0 6 * FOO *')).toMatch(/month "FOO" is not 1–12 or JAN–DEC/);
    expect(cronProblem('--cron', '0 6 * * */0')).toMatch(
      /day of week "\*\/0": a step is "\/" and a positive whole number/
    );
    expect(cronProblem('--cron', '0 17-9 * * *')).toMatch(/hour "17-9" runs backwards/);
    expect(cronProblem('--cron', 'CRON_TZ=Asia/Kolkata 0 6 * * *')).toMatch(/give the time zone with --timezone/);
    expect(cronProblem('--cron', '@fortnightly')).toMatch(/unknown shorthand @fortnightly/);
  });
});
