/**
 * The picture itself: an SVG "YouTube thumbnail" — bold gradient, a spotlit cartoon subject
 * with an outline, chunky title blocks whose dark bars stand in for lettering, an arrow and some
 * confetti. No text elements, so nothing depends on the machine's fonts (text a prompt asks for is
 * drawn with lettering.ts's own stroke font). The palette follows the
 * prompt (one prompt keeps one look across seeds); the layout follows prompt and seed.
 */
import { letteringSvg } from './lettering.js';
import { hashSeed, mulberry32 } from './prng.js';

const hsl = (h: number, s: number, l: number): string =>
  `hsl(${Math.round(((h % 360) + 360) % 360)},${Math.round(s)}%,${Math.round(l)}%)`;
const n = (x: number): string => x.toFixed(1);

/**
 * `lettering`: the text the prompt asked for, as the model paints it (see lettering.ts). When
 * given, the title area shows it on a white plate instead of the bar blocks; everything else
 * (and every random draw) is as without it.
 */
export function sceneSvg(prompt: string, seed: number, width: number, height: number, lettering?: string): string {
  const palette = mulberry32(hashSeed('palette', prompt));
  const rand = mulberry32(hashSeed('layout', prompt, seed));
  const baseHue = palette() * 360;
  const hue = baseHue + (rand() - 0.5) * 70;
  const bgA = hsl(hue, 70 + 20 * rand(), 38 + 15 * rand());
  const bgB = hsl(hue + 140 + 40 * rand(), 75 + 20 * rand(), 22 + 15 * rand());
  const subjectColour = hsl(hue + 180 + (rand() - 0.5) * 60, 80, 55 + 10 * rand());
  const accent = hsl(hue + 60 + 60 * rand(), 95, 55);
  const u = Math.min(width, height);
  const stroke = Math.max(2, u * 0.018);

  const subjectOnLeft = rand() < 0.5;
  const cx = width * (subjectOnLeft ? 0.22 + 0.1 * rand() : 0.68 + 0.1 * rand());
  const headR = u * (0.17 + 0.06 * rand());
  const cy = height * (0.42 + 0.1 * rand());
  const eyeDx = headR * 0.38;
  const eyeR = headR * 0.2;
  const look = (rand() - 0.5) * eyeR;

  const parts: string[] = [];
  parts.push(
    `<defs><linearGradient id="bg" x1="0" y1="0" x2="${n(rand())}" y2="1">` +
      `<stop offset="0" stop-color="${bgA}"/><stop offset="1" stop-color="${bgB}"/></linearGradient>` +
      `<radialGradient id="spot"><stop offset="0" stop-color="#fff" stop-opacity="0.55"/>` +
      `<stop offset="1" stop-color="#fff" stop-opacity="0"/></radialGradient></defs>`,
    `<rect width="${width}" height="${height}" fill="url(#bg)"/>`,
    `<circle cx="${n(cx)}" cy="${n(cy)}" r="${n(headR * 2.6)}" fill="url(#spot)"/>`
  );
  // Background stripes: large high-contrast edges, as bold thumbnails have.
  const stripes = 2 + Math.floor(rand() * 3);
  for (let i = 0; i < stripes; i++) {
    const x = width * rand();
    const w = u * (0.04 + 0.08 * rand());
    parts.push(
      `<polygon points="${n(x)},0 ${n(x + w)},0 ${n(x + w - u * 0.3)},${height} ${n(x - u * 0.3)},${height}" ` +
        `fill="${hsl(hue + 20, 60, 80)}" fill-opacity="0.18"/>`
    );
  }
  // Subject: body, head, eyes.
  parts.push(
    `<rect x="${n(cx - headR * 1.3)}" y="${n(cy + headR * 0.85)}" width="${n(headR * 2.6)}" height="${n(height)}" ` +
      `rx="${n(headR * 0.7)}" fill="${subjectColour}" stroke="#111" stroke-width="${n(stroke)}"/>`,
    `<circle cx="${n(cx)}" cy="${n(cy)}" r="${n(headR)}" fill="${subjectColour}" stroke="#111" stroke-width="${n(stroke)}"/>`
  );
  for (const side of [-1, 1]) {
    const ex = cx + side * eyeDx;
    const ey = cy - headR * 0.1;
    parts.push(
      `<circle cx="${n(ex)}" cy="${n(ey)}" r="${n(eyeR)}" fill="#fff" stroke="#111" stroke-width="${n(stroke * 0.5)}"/>`,
      `<circle cx="${n(ex + look)}" cy="${n(ey)}" r="${n(eyeR * 0.5)}" fill="#111"/>`
    );
  }
  parts.push(
    `<ellipse cx="${n(cx)}" cy="${n(cy + headR * 0.45)}" rx="${n(headR * 0.35)}" ry="${n(headR * (0.12 + 0.15 * rand()))}" fill="#111"/>`
  );
  // Title blocks on the other side; the dark bars inside read as heavy lettering.
  const tx0 = subjectOnLeft ? width * 0.48 : width * 0.05;
  const tw = width * 0.46;
  const lines = 2 + Math.floor(rand() * 2);
  const lh = Math.min(height * 0.16, (height * 0.7) / lines);
  const titleParts = lettering === undefined ? parts : [];
  for (let i = 0; i < lines; i++) {
    const ty = height * 0.12 + i * lh * 1.2;
    const w = tw * (0.7 + 0.3 * rand());
    const fill = i === 0 ? accent : '#fff';
    titleParts.push(
      `<rect x="${n(tx0)}" y="${n(ty)}" width="${n(w)}" height="${n(lh)}" rx="${n(lh * 0.15)}" ` +
        `fill="${fill}" stroke="#111" stroke-width="${n(stroke)}"/>`
    );
    let x = tx0 + lh * 0.25;
    while (x < tx0 + w - lh * 0.5) {
      const glyph = lh * (0.25 + 0.45 * rand());
      if (x + glyph > tx0 + w - lh * 0.25) break;
      titleParts.push(
        `<rect x="${n(x)}" y="${n(ty + lh * 0.2)}" width="${n(glyph)}" height="${n(lh * 0.6)}" fill="#111"/>`
      );
      x += glyph + lh * (0.1 + 0.15 * rand());
    }
  }
  if (lettering !== undefined) {
    parts.push(letteringSvg(lettering, { x: tx0, y: height * 0.1, w: tw, h: height * 0.55 }, height * 0.14));
  }
  // Arrow pointing at the subject.
  const ay = height * (0.7 + 0.15 * rand());
  const ax = subjectOnLeft ? width * 0.62 : width * 0.38;
  const dir = subjectOnLeft ? -1 : 1;
  const al = u * 0.3;
  const aw = u * 0.06;
  parts.push(
    `<polygon points="${[
      [ax, ay - aw / 2],
      [ax + dir * al * 0.65, ay - aw / 2],
      [ax + dir * al * 0.65, ay - aw * 1.4],
      [ax + dir * al, ay],
      [ax + dir * al * 0.65, ay + aw * 1.4],
      [ax + dir * al * 0.65, ay + aw / 2],
      [ax, ay + aw / 2],
    ]
      .map(([x, y]) => `${n(x as number)},${n(y as number)}`)
      .join(' ')}" fill="#e11" stroke="#fff" stroke-width="${n(stroke)}"/>`
  );
  // Confetti.
  const bits = 6 + Math.floor(rand() * 8);
  for (let i = 0; i < bits; i++) {
    const s = u * (0.015 + 0.03 * rand());
    const x = width * rand();
    const y = height * rand();
    parts.push(
      `<rect x="${n(x)}" y="${n(y)}" width="${n(s)}" height="${n(s)}" ` +
        `transform="rotate(${Math.round(rand() * 90)} ${n(x)} ${n(y)})" fill="${hsl(hue + 360 * rand(), 90, 60)}"/>`
    );
  }
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">` +
    parts.join('') +
    `</svg>`
  );
}
