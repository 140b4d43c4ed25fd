/** The CLI's conventions — --help, --version, "did you mean" — on the real binary; no server needed. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { command, helpText, parseCommand } from '../client/command-spec.js';
import { EXIT } from '../client/exit-codes.js';
import { projectRoot } from '../node/paths.js';
import { thumbgate, type CliRun } from './helpers/cli-process.js';

/** Every command and subcommand, with flags its help must name (besides --json and --help). */
const COMMANDS: [string, string[]][] = [
  ['start', ['--manifest FILE', '--batch-id', '--wait', '--candidates', '--max-usd', '--notify-url']],
  ['status', []],
  ['result', ['--wait', '--thumbnail']],
  ['cost', []],
  ['list', ['--limit']],
  ['cancel', []],
  ['budget', ['--max-usd USD']],
  ['estimate', ['--per-month', '--per-day', '--draft-model']],
  ['models pull', ['--model', '--revision', '--model-dir', '--cache-dir']],
  ['schedule create', ['--manifest TEMPLATE', '--cron EXPR', '--timezone', '--catchup-window', '--max-usd']],
  ['schedule list', []],
  ['schedule describe', []],
  ['schedule pause', ['--note']],
  ['schedule unpause', []],
  ['schedule trigger', []],
  ['schedule delete', []],
  ['codec-server', ['--port', '--host', '--allow-origin']],
];

/** Two at a time: each run is a Node process on a machine with two cores. */
async function runAll(argvs: string[][]): Promise<CliRun[]> {
  const results: CliRun[] = [];
  for (let i = 0; i < argvs.length; i += 2) {
    results.push(
      ...(await Promise.all(argvs.slice(i, i + 2).map((a) => thumbgate(a, { TEMPORAL_ADDRESS: '127.0.0.1:1' }))))
    );
  }
  return results;
}

describe('thumbgate --help', () => {
  test.each(['--help', '-h'])(
    'every command and subcommand answers %s with its usage on stdout, exit 0',
    async (flag) => {
      const runs = await runAll(COMMANDS.map(([name]) => [...name.split(' '), flag]));
      runs.forEach((r, i) => {
        const [name, flags] = COMMANDS[i]!;
        expect({ name, code: r.code, stderr: r.stderr }).toEqual({ name, code: 0, stderr: '' });
        expect(r.stdout).toMatch(new RegExp(`^usage: thumbgate ${name}`));
        for (const f of [...flags, '--json', '-h, --help']) expect(r.stdout).toContain(f);
      });
    },
    240_000
  );

  test('thumbgate --help, -h and help list every command; `help COMMAND` is its --help; a group lists its subcommands', async () => {
    const [long, short, word, helpStart, group] = await runAll([
      ['--help'],
      ['-h'],
      ['help'],
      ['help', 'start'],
      ['schedule', '--help'],
    ]);
    for (const r of [long!, short!, word!]) {
      expect(r.code).toBe(0);
      for (const [name] of COMMANDS) expect(r.stdout).toMatch(new RegExp(`^  ${name}\\b`, 'm'));
    }
    expect(helpStart!.code).toBe(0);
    expect(helpStart!.stdout).toMatch(/^usage: thumbgate start --manifest FILE/);
    expect(group!.code).toBe(0);
    for (const sub of ['create', 'list', 'describe', 'pause', 'unpause', 'trigger', 'delete']) {
      expect(group!.stdout).toContain(`schedule ${sub}`);
    }
  }, 120_000);

  test('--version and -V print package.json version', async () => {
    const { version } = JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as { version: string };
    for (const r of await runAll([['--version'], ['-V']])) {
      expect(r).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
    }
  }, 60_000);
});

describe('usage errors name the nearest valid name (exit 2)', () => {
  test('an unknown option, command or subcommand', async () => {
    const [option, scheduleOption, cmd, sub, nothingClose] = await runAll([
      ['start', '--manifest', 'x.csv', '--max-usdd', '3'],
      ['schedule', 'create', 'daily', '--cronn', '0 6 * * *'],
      ['strat', '--manifest', 'x.csv'],
      ['schedule', 'craete', 'daily'],
      ['start', '--colour', 'red'],
    ]);
    for (const r of [option, scheduleOption, cmd, sub, nothingClose]) expect(r!.code).toBe(EXIT.invalidInput);
    expect(option!.stderr).toMatch(/unknown option --max-usdd: did you mean --max-usd\?/);
    expect(option!.stderr).toMatch(/usage: thumbgate start/);
    expect(scheduleOption!.stderr).toMatch(/unknown option --cronn: did you mean --cron\?/);
    expect(cmd!.stderr).toMatch(/unknown command "strat": did you mean start\?/);
    expect(sub!.stderr).toMatch(/unknown subcommand "craete": did you mean create\?/);
    expect(nothingClose!.stderr).toMatch(/unknown option --colour \(`thumbgate start --help` lists them\)/);
  }, 120_000);
});

describe('one declaration of a command makes its parser and its help', () => {
  const spec = command({
    name: 'demo',
    args: ['ID'],
    summary: 'A demo.',
    flags: {
      limit: { type: 'string', arg: 'N', description: 'how many', default: '20' },
      note: { type: 'string', arg: 'TEXT', description: 'why', required: true },
      loud: { type: 'boolean', description: 'shout' },
    },
    run: () => Promise.resolve(EXIT.ok),
  });

  test('the help lists each flag with its value, description and default', () => {
    const help = helpText(spec);
    expect(help).toMatch(/^usage: thumbgate demo ID \[--limit N\] --note TEXT \[--loud\]/);
    expect(help).toMatch(/--limit N +how many \(default 20\)/);
    expect(help).toMatch(/--note TEXT +why \(required\)/);
    expect(help).toMatch(/--loud +shout/);
  });

  test('the parser applies defaults and checks required flags and positionals', () => {
    expect(parseCommand(spec, ['a', '--note', 'n'])).toEqual({
      values: { limit: '20', note: 'n' },
      positionals: ['a'],
    });
    expect(() => parseCommand(spec, ['a'])).toThrow(/--note TEXT is required\nusage: thumbgate demo/);
    expect(() => parseCommand(spec, ['--note', 'n'])).toThrow(/ID is required/);
    expect(() => parseCommand(spec, ['a', 'b', '--note', 'n'])).toThrow(/unexpected "b"/);
    expect(() => parseCommand(spec, ['a', '--note', 'n', '--lound'])).toThrow(
      /unknown option --lound: did you mean --loud\?/
    );
  });
});
