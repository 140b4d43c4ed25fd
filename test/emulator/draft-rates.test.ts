import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { DRAFT_GARBLE_RATE } from '../../emulator/lettering.js';
import { DEFAULT_DRAFT_DEFECT_RATE, DRAFT_DEFECT_RATES, draftDefectRates } from '../../emulator/quality.js';
import { createEmulator } from '../../emulator/server.js';
import { call, json, post, schnell } from './helpers.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** `npm run emulator` with `args` and `env` added; its stdout lines, and its exit. */
function startCli(args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'emulator/main.ts', '--port', '0', '--quiet', ...args], {
    cwd: root,
    env: { ...process.env, SEGMIND_EMULATOR_LATENCY_SCALE: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return { child, lines: createInterface({ input: child.stdout }), stderr: () => stderr };
}

const PROMPT = "travel vlog, text 'WE QUIT OUR JOBS'";

/** Ground truth of `count` flux-schnell drafts from an emulator with `options`. */
async function drafts(options: Parameters<typeof createEmulator>[0], count: number) {
  const emulator = await createEmulator(options);
  try {
    for (let seed = 0; seed < count; seed++) {
      const reply = await post(emulator, 'flux-schnell', schnell(seed, { prompt: PROMPT }));
      expect(reply.status).toBe(200);
    }
    return emulator.requests().map((r) => ({ defect: r.defect, text: r.renderedText }));
  } finally {
    await emulator.close();
  }
}

describe('emulator: draft defect and misspelling rates as settings', () => {
  test('the defaults are unchanged: 60 % of drafts defective, 40 % misspelt', () => {
    expect(DEFAULT_DRAFT_DEFECT_RATE).toBeCloseTo(0.6, 12);
    expect(DRAFT_GARBLE_RATE).toBe(0.4);
    expect(draftDefectRates(0.6)).toEqual(DRAFT_DEFECT_RATES);
  });

  test('another defect rate keeps the defects in proportion and sums to 1', () => {
    const rates = draftDefectRates(0.15);
    expect(rates.clean).toBeCloseTo(0.85, 12);
    expect(rates.blurred / rates['low-contrast']).toBeCloseTo(
      DRAFT_DEFECT_RATES.blurred / DRAFT_DEFECT_RATES['low-contrast'],
      12
    );
    expect(Object.values(rates).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(() => draftDefectRates(1.5)).toThrow('draftDefectRate must be a number from 0 to 1, got 1.5');
  });

  test('rates 0 and 1 make every draft clean and correctly spelt, or defective and misspelt', async () => {
    const perfect = await drafts({ draftDefectRate: 0, misspellingRate: 0 }, 12);
    expect(perfect.every((d) => d.defect === 'clean' && d.text === 'WE QUIT OUR JOBS')).toBe(true);
    const awful = await drafts({ draftDefectRate: 1, misspellingRate: 1 }, 12);
    expect(awful.every((d) => d.defect !== 'clean' && d.text !== 'WE QUIT OUR JOBS')).toBe(true);
  });

  test('a lower rate only cleans images: a draft clean at the default stays clean', async () => {
    const base = await drafts({}, 30);
    const better = await drafts({ draftDefectRate: 0.15, misspellingRate: 0.1 }, 30);
    base.forEach((d, i) => {
      if (d.defect === 'clean') expect(better[i]!.defect).toBe('clean');
      if (d.text === 'WE QUIT OUR JOBS') expect(better[i]!.text).toBe('WE QUIT OUR JOBS');
    });
    expect(better.filter((d) => d.defect === 'clean').length).toBeGreaterThan(
      base.filter((d) => d.defect === 'clean').length
    );
  });

  test('an out-of-range setting stops the emulator at creation, naming the option', async () => {
    await expect(createEmulator({ misspellingRate: -0.1 })).rejects.toThrow(
      'misspellingRate must be a number from 0 to 1'
    );
    await expect(createEmulator({ draftDefectRate: Number.NaN })).rejects.toThrow(
      'draftDefectRate must be a number from 0 to 1'
    );
  });

  test('npm run emulator takes both rates as a flag or from the environment, and refuses one out of range', async () => {
    const cli = startCli(['--draft-defect-rate', '1'], { SEGMIND_EMULATOR_MISSPELLING_RATE: '1' });
    try {
      const [first] = (await once(cli.lines, 'line')) as [string];
      const emu = { url: /listening on (http:\/\/\S+)/.exec(first)![1]!, apiKey: 'emulator-local-key' };
      for (let seed = 0; seed < 5; seed++) {
        expect((await post(emu as never, 'flux-schnell', schnell(seed, { prompt: PROMPT }))).status).toBe(200);
      }
      const { requests } = json<{ requests: { defect?: string; renderedText?: string }[] }>(
        await call(emu, '/_emulator/requests')
      );
      expect(requests).toHaveLength(5);
      expect(requests.every((r) => r.defect !== 'clean' && r.renderedText !== 'WE QUIT OUR JOBS')).toBe(true);
    } finally {
      cli.child.kill('SIGTERM');
      if (cli.child.exitCode === null) await once(cli.child, 'exit');
    }
    const bad = startCli(['--misspelling-rate', '1.5'], {});
    // 'close', not 'exit': stderr is read to its end by then.
    const [code] = (await once(bad.child, 'close')) as [number | null];
    expect(code).toBe(1);
    expect(bad.stderr()).toContain('--misspelling-rate must be a number from 0 to 1, got "1.5"');
  });
});
