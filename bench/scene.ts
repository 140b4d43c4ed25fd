/**
 * The synthetic test picture shared by the scoring bench and the scoring tests (which import it from
 * here: tests may depend on the bench's helpers, the bench never on tests).
 */
import { mulberry32 as rng } from '../emulator/prng.js';

/**
 * A synthetic "scene": a colour gradient with sharp-edged coloured blocks and fine texture, mid-grey
 * on average: the kind of detail and exposure a good thumbnail has.
 */
export function sceneRgb(seed: number, width: number, height: number): Buffer {
  const random = rng(seed);
  const data = Buffer.alloc(width * height * 3);
  const blocks = Array.from({ length: 14 }, () => ({
    x: Math.floor(random() * width),
    y: Math.floor(random() * height),
    w: 20 + Math.floor(random() * width * 0.25),
    h: 20 + Math.floor(random() * height * 0.3),
    c: [random() * 255, random() * 255, random() * 255],
  }));
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      let rgb = [60 + (140 * x) / width, 80 + (100 * y) / height, 170 - (90 * x) / width];
      for (const b of blocks) if (x >= b.x && x < b.x + b.w && y >= b.y && y < b.y + b.h) rgb = b.c;
      const texture = ((x >> 2) + (y >> 2)) % 2 === 0 ? 14 : -14;
      for (let c = 0; c < 3; c++) data[i + c] = Math.max(0, Math.min(255, Math.round(rgb[c]! + texture)));
    }
  }
  return data;
}
