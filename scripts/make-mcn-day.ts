/**
 * Writes examples/mcn-day.jsonl, the fixed pool of the gate benchmark (`npm run bench:gate`): one MCN
 * day of thumbnail briefs across channels. Most quote the text to letter on the thumbnail (in the
 * quote styles the text check reads: docs/text-check.md), mostly Latin, some accented Latin, some in
 * scripts the OCR data does not cover (Devanagari, CJK, Cyrillic), some ask for no text; sizes as
 * thumbnails use. Deterministic: no clock, no randomness outside the fixed seed, so a rerun writes
 * the same bytes and the bench's cache key (the manifest's hash) holds.
 *
 *   npx tsx scripts/make-mcn-day.ts [--count 200] [--out examples/mcn-day.jsonl]
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { projectRoot } from '../node/paths.js';
// The emulator's own seeded PRNG: the pool is the same on every machine.
import { mulberry32 } from '../emulator/prng.js';

interface Channel {
  channel: string;
  series: string;
  scenes: readonly string[];
  titles: readonly string[];
}

const CHANNELS: readonly Channel[] = [
  {
    channel: 'pixelforge-gaming',
    series: 'gaming',
    scenes: [
      'a wide-eyed gamer with neon headphones recoiling from a glowing monitor, purple rim light',
      'a tiny pixel-art spaceship facing a huge battle cruiser, deep space starfield, electric blue glow',
      'an armored knight figurine on a stack of gold coins, fantasy castle at sunset behind',
      'a cracked controller on a desk under red emergency light, smoke in the air',
    ],
    titles: ['I BEAT THE GAME', 'NEW WORLD RECORD', 'GG', 'DO NOT PLAY THIS', 'SPEEDRUN 2:14', 'BOSS FIGHT'],
  },
  {
    channel: 'fork-and-flame',
    series: 'cooking',
    scenes: [
      'a steaming bowl of ramen on a dark wooden table, chopsticks lifting noodles, warm light',
      'a chef torching the top of a creme brulee, sparks, close-up, shallow depth of field',
      'a towering burger with melted cheese dripping, bright yellow background',
      'a rustic loaf of sourdough split open, flour dust in a sunbeam',
    ],
    titles: ['RAMEN IN 10 MINUTES', 'ONLY 3 INGREDIENTS', 'WORTH IT?', 'PERFECT BREAD', '$5 DINNER', 'CRÈME BRÛLÉE'],
  },
  {
    channel: 'wander-far',
    series: 'travel',
    scenes: [
      'a hiker on a cliff edge above turquoise fjords at golden hour, tiny figure, vast landscape',
      'a crowded night market with lanterns and food stalls, motion blur, vivid colours',
      'a red vintage van parked on a desert road, long shadows, dramatic sky',
      'a snorkeler above a coral reef, sunrays through clear water',
    ],
    titles: ['WE QUIT OUR JOBS', 'I FOUND IT', '24 HOURS IN TOKYO', 'CHEAPEST FLIGHT EVER', 'DON\u2019T GO HERE'],
  },
  {
    channel: 'byte-sized-tech',
    series: 'tech',
    scenes: [
      'a new smartphone floating above a glowing circuit board, cyan and magenta light',
      'a person holding two laptops side by side, shocked face, clean white studio',
      'a disassembled mechanical keyboard with colourful keycaps spread out, top-down view',
      'a small robot arm assembling a tiny computer, macro shot',
    ],
    titles: ['DON\u2019T BUY THIS', 'IT\u2019S OVER', 'BEST PHONE 2026', '$100 VS $1000', 'FINALLY FIXED', 'TRUTH'],
  },
  {
    channel: 'iron-habit',
    series: 'fitness',
    scenes: [
      'an athlete mid-sprint on a rain-soaked track, dramatic backlight, spray of water',
      'a kettlebell on a gym floor in a single spotlight, chalk dust',
      'a before and after split screen of a home gym makeover, bright daylight',
    ],
    titles: ['30 DAY CHALLENGE', 'NO GYM NEEDED', 'STOP DOING THIS', 'DAY 1 VS DAY 100'],
  },
];

/** Text in scripts the OCR data does not cover: the emulator letters it, the text check cannot read it. */
const OTHER_SCRIPTS: readonly { script: string; titles: readonly string[] }[] = [
  { script: 'devanagari', titles: ['नमस्ते दुनिया', 'सबसे सस्ता खाना', 'मैंने छोड़ दिया'] },
  { script: 'cjk', titles: ['東京グルメ', '最強の武器', '一日で完成'] },
  { script: 'cyrillic', titles: ['ПРИВЕТ МИР', 'ЛУЧШИЙ ТЕЛЕФОН'] },
];

/** Quote styles a brief writer uses (both the emulator and the text check read every one). */
const QUOTES: readonly ((t: string) => string)[] = [
  (t) => `'${t}'`,
  (t) => `"${t}"`,
  (t) => `\u201c${t}\u201d`,
  (t) => `\u00ab${t}\u00bb`,
];

/**
 * Sizes thumbnails use: YouTube's 1280×720 mostly, some Shorts covers and square posts (in the draft
 * model's multiples of 16: 720×1280, 1024×1024).
 */
const SIZES: readonly string[] = ['1280x720', '1280x720', '1280x720', '1280x720', '1280x720', '720x1280', '1024x1024'];

/** The pool's briefs as JSONL lines. */
function mcnDayLines(count: number): string[] {
  const rand = mulberry32(20261124);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)]!;
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    const ch = CHANNELS[i % CHANNELS.length]!;
    // The episode makes every brief's prompt its own, as on a real day (and distinct renders).
    const scene = `${pick(ch.scenes)}, episode ${101 + i}`;
    const u = rand();
    // 70 % Latin text, 12 % another script, 18 % no text.
    let prompt: string;
    let script = 'latin';
    if (u < 0.7) prompt = `${scene}, bold title text ${pick(QUOTES)(pick(ch.titles))}`;
    else if (u < 0.82) {
      const other = pick(OTHER_SCRIPTS);
      script = other.script;
      prompt = `${scene}, bold title text ${pick(QUOTES)(pick(other.titles))}`;
    } else {
      script = 'none';
      prompt = `${scene}, empty space on the left for a title, no text`;
    }
    const hour = 8 + (i % 12);
    const record = {
      id: `2026-11-24-${ch.series}-${String(i + 1).padStart(3, '0')}`,
      prompt,
      size: pick(SIZES),
      metadata: {
        channel: ch.channel,
        series: ch.series,
        script,
        publishAt: `2026-11-24T${String(hour).padStart(2, '0')}:00:00Z`,
      },
    };
    lines.push(JSON.stringify(record));
  }
  return lines;
}

if (process.argv[1]?.endsWith('make-mcn-day.ts')) {
  const { values } = parseArgs({
    options: { count: { type: 'string', default: '200' }, out: { type: 'string' } },
  });
  const count = Number(values.count);
  if (!Number.isInteger(count) || count < 1) throw new Error(`--count must be a positive integer, got ${values.count}`);
  const out = values.out ?? join(projectRoot, 'examples', 'mcn-day.jsonl');
  writeFileSync(out, `${mcnDayLines(count).join('\n')}\n`);
  console.log(`wrote ${count} briefs to ${out}`);
}
