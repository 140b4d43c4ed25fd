/**
 * The `huge-image` fault's body: a complete, valid PNG declaring 20,000 × 20,000 pixels (400 MP) in
 * about 48 KB: one bit per pixel, all black, which deflate shrinks a thousandfold. A provider (or a
 * compromised media host) can send exactly this; a client that decodes before it checks the size
 * spends seconds of CPU and gigabytes of memory on it.
 */
import type { ServerResponse } from 'node:http';
import { promisify } from 'node:util';
import { crc32, deflate } from 'node:zlib';

export const HUGE_IMAGE_SIDE = 20_000;

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** A valid, all-black 1-bit greyscale PNG of `width` × `height`: about 1 KB per megapixel. */
export async function blankPng(width: number, height: number): Promise<Buffer> {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 1; // bit depth
  ihdr[9] = 0; // greyscale; compression, filter and interlace 0
  // Each row: filter byte 0, then one bit per pixel.
  const rows = Buffer.alloc((1 + Math.ceil(width / 8)) * height);
  const idat = await promisify(deflate)(rows, { level: 9 });
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', idat),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

let built: Promise<Buffer> | undefined;

/** Answers 200 with the PNG (built once per process: deflating its 50 MB of rows takes ~0.2 s, off the loop). */
export async function sendHugeImage(res: ServerResponse, headers: Record<string, string>): Promise<void> {
  built ??= blankPng(HUGE_IMAGE_SIDE, HUGE_IMAGE_SIDE);
  const png = await built;
  res.writeHead(200, { ...headers, 'content-type': 'image/png', 'content-length': png.length });
  res.end(png);
}
