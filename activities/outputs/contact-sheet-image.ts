/**
 * contact-sheet.jpg: one row per thumbnail (the first {@link SHEET_MAX_ROWS}), every candidate as a
 * small tile, the winner outlined green, re-roll candidates orange, each score as a bar (and as text
 * when this machine's fonts can draw it). Rows are rendered one at a time and stacked as raw pixels,
 * so memory stays near the final image's size and the height stays far below JPEG's 65,535 px.
 */
import sharp from 'sharp';
import { escapeMarkup } from './escape.js';
import { FONT_FAMILY } from './text-rendering.js';

export const SHEET_MAX_ROWS = 100;
/** A thumbnail normally has 4 drafts + 1 re-roll; more columns than this are not drawn. */
const MAX_TILES_PER_ROW = 12;

export const TILE_WIDTH = 176;
export const TILE_HEIGHT = 99;
const BORDER = 6;
const GAP = 8;
const PAD = 8;
const LABEL_WIDTH = 210;
const BAR_HEIGHT = 8;
const TEXT_HEIGHT = 16;
const CELL_WIDTH = TILE_WIDTH + 2 * BORDER;
const ROW_HEIGHT = PAD + TILE_HEIGHT + 2 * BORDER + 4 + BAR_HEIGHT + 2 + TEXT_HEIGHT + PAD;

export const COLOURS = {
  winner: '#16a34a',
  reroll: '#f97316',
  draftBar: '#3b82f6',
  track: '#3f3f46',
  failed: '#dc2626',
  ok: '#16a34a',
  notice: '#b91c1c',
  text: '#f4f4f5',
  muted: '#a1a1aa',
  rowA: '#18181b',
  rowB: '#27272a',
  missing: '#7f1d1d',
} as const;

export interface SheetTile {
  phase: 'draft' | 'reroll';
  score?: number;
  winner: boolean;
  /** Raw RGB pixels, TILE_WIDTH × TILE_HEIGHT; absent when the image could not be read. */
  pixels?: Buffer;
}

export interface SheetRow {
  id: string;
  status: 'ok' | 'failed';
  /** A short line under the id: cost, or why it failed. */
  caption: string;
  tiles: SheetTile[];
}

export interface SheetHeader {
  title: string;
  lines: string[];
  randomWeightsNotice?: string;
  /** Shown when rows were left out. */
  cappedNotice?: string;
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

const CAPTION_CHARS = 30;
const CAPTION_LINES = 7;

/** Greedy word wrap into at most `lines` lines, the last one truncated. */
function wrap(text: string, width: number, lines: number): string[] {
  const out: string[] = [];
  let current = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    const next = current ? `${current} ${word}` : word;
    if (next.length <= width || !current) current = next;
    else {
      out.push(current);
      current = word;
    }
  }
  if (current) out.push(current);
  if (out.length > lines) out.splice(lines - 1, out.length, out.slice(lines - 1).join(' '));
  return out.map((line) => truncate(line, width));
}

function svgText(x: number, y: number, text: string, size: number, fill: string, weight = 'normal'): string {
  return (
    `<text x="${x}" y="${y}" font-family="${FONT_FAMILY}" font-size="${size}" font-weight="${weight}" ` +
    `fill="${fill}">${escapeMarkup(text)}</text>`
  );
}

function sheetWidth(columns: number): number {
  return LABEL_WIDTH + Math.max(1, columns) * (CELL_WIDTH + GAP) + PAD;
}

async function rasterise(svg: string, composites: sharp.OverlayOptions[] = []): Promise<Buffer> {
  return sharp(Buffer.from(svg))
    .composite(composites)
    .flatten({ background: COLOURS.rowA })
    .removeAlpha()
    .raw()
    .toBuffer();
}

async function renderHeader(
  header: SheetHeader,
  width: number,
  text: boolean
): Promise<{ pixels: Buffer; height: number }> {
  const parts: string[] = [];
  let y = PAD;
  if (header.randomWeightsNotice) {
    // The band is drawn even without fonts: a red header always means "do not trust these scores".
    parts.push(`<rect x="0" y="0" width="${width}" height="34" fill="${COLOURS.notice}"/>`);
    if (text) parts.push(svgText(PAD, 23, `⚠ ${header.randomWeightsNotice}`, 16, '#ffffff', 'bold'));
    y = 34 + PAD;
  }
  if (text) {
    parts.push(svgText(PAD, y + 18, truncate(header.title, 90), 18, COLOURS.text, 'bold'));
    y += 26;
    for (const line of [...header.lines, ...(header.cappedNotice ? [header.cappedNotice] : [])]) {
      parts.push(svgText(PAD, y + 14, truncate(line, 140), 13, COLOURS.muted));
      y += 18;
    }
  }
  const height = Math.max(y + PAD, 12);
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">` +
    `<rect width="${width}" height="${height}" fill="${COLOURS.rowA}"/>${parts.join('')}</svg>`;
  return { pixels: await rasterise(svg), height };
}

async function renderRow(row: SheetRow, index: number, width: number, columns: number, text: boolean): Promise<Buffer> {
  const parts: string[] = [
    `<rect width="${width}" height="${ROW_HEIGHT}" fill="${index % 2 ? COLOURS.rowB : COLOURS.rowA}"/>`,
  ];
  const composites: sharp.OverlayOptions[] = [];
  const statusColour = row.status === 'ok' ? COLOURS.ok : COLOURS.failed;
  parts.push(`<rect x="0" y="0" width="6" height="${ROW_HEIGHT}" fill="${statusColour}"/>`);
  if (text) {
    parts.push(svgText(PAD + 6, PAD + 16, truncate(row.id, 24), 14, COLOURS.text, 'bold'));
    wrap(row.caption, CAPTION_CHARS, CAPTION_LINES).forEach((line, k) => {
      parts.push(svgText(PAD + 6, PAD + 36 + 16 * k, line, 12, row.status === 'ok' ? COLOURS.muted : '#fca5a5'));
    });
  }
  row.tiles.slice(0, columns).forEach((tile, j) => {
    const x = LABEL_WIDTH + j * (CELL_WIDTH + GAP);
    const y = PAD;
    if (tile.winner) {
      parts.push(
        `<rect x="${x}" y="${y}" width="${CELL_WIDTH}" height="${TILE_HEIGHT + 2 * BORDER}" fill="${COLOURS.winner}"/>`
      );
    }
    if (tile.phase === 'reroll') {
      // A winning re-roll keeps a green outer ring with an orange inner one.
      const inset = tile.winner ? BORDER / 2 : 0;
      parts.push(
        `<rect x="${x + inset}" y="${y + inset}" width="${CELL_WIDTH - 2 * inset}" ` +
          `height="${TILE_HEIGHT + 2 * BORDER - 2 * inset}" fill="${COLOURS.reroll}"/>`
      );
    }
    if (tile.pixels) {
      composites.push({
        input: tile.pixels,
        raw: { width: TILE_WIDTH, height: TILE_HEIGHT, channels: 3 },
        left: x + BORDER,
        top: y + BORDER,
      });
    } else {
      parts.push(
        `<rect x="${x + BORDER}" y="${y + BORDER}" width="${TILE_WIDTH}" height="${TILE_HEIGHT}" fill="${COLOURS.missing}"/>`
      );
    }
    const barY = y + TILE_HEIGHT + 2 * BORDER + 4;
    const score = tile.score === undefined ? 0 : Math.max(0, Math.min(1, tile.score));
    const barColour = tile.winner ? COLOURS.winner : tile.phase === 'reroll' ? COLOURS.reroll : COLOURS.draftBar;
    parts.push(`<rect x="${x}" y="${barY}" width="${CELL_WIDTH}" height="${BAR_HEIGHT}" fill="${COLOURS.track}"/>`);
    parts.push(
      `<rect x="${x}" y="${barY}" width="${Math.round(CELL_WIDTH * score)}" height="${BAR_HEIGHT}" fill="${barColour}"/>`
    );
    if (text) {
      const label = `${tile.score === undefined ? 'no score' : tile.score.toFixed(3)} ${tile.phase === 'reroll' ? 're-roll' : 'draft'}${tile.winner ? ' ★ winner' : ''}`;
      parts.push(svgText(x, barY + BAR_HEIGHT + 2 + 12, label, 12, tile.winner ? '#86efac' : COLOURS.muted));
    }
  });
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${ROW_HEIGHT}">${parts.join('')}</svg>`;
  return rasterise(svg, composites);
}

/** Encodes the sheet; `onRow` lets the caller heartbeat during a long render. */
export async function renderContactSheet(
  header: SheetHeader,
  rows: SheetRow[],
  text: boolean,
  onRow: (done: number) => void = () => undefined
): Promise<Buffer> {
  const shown = rows.slice(0, SHEET_MAX_ROWS);
  const columns = Math.min(MAX_TILES_PER_ROW, Math.max(1, ...shown.map((r) => r.tiles.length)));
  const width = sheetWidth(columns);
  const top = await renderHeader(header, width, text);
  const chunks: Buffer[] = [top.pixels];
  for (const [i, row] of shown.entries()) {
    chunks.push(await renderRow(row, i, width, columns, text));
    onRow(i + 1);
  }
  const height = top.height + shown.length * ROW_HEIGHT;
  return sharp(Buffer.concat(chunks), { raw: { width, height, channels: 3 } })
    .jpeg({ quality: 85 })
    .toBuffer();
}
