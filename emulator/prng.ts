/**
 * Seeded randomness for the emulator. Everything the emulator "decides" (GPU time, image
 * content, draft defects, random faults) is a pure function of a hash of its inputs, so a
 * request replayed by a retry or another test run gets the same answer.
 */
import { createHash } from 'node:crypto';

/** 32-bit seed from any list of values (sha256, first 4 bytes). */
export function hashSeed(...parts: ReadonlyArray<string | number | undefined>): number {
  const h = createHash('sha256');
  for (const p of parts) h.update(`${p ?? ''}\u0000`);
  return h.digest().readUInt32BE(0);
}

/** mulberry32: tiny, fast and good enough for pictures and fault draws; returns floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** A float in [0, 1) determined by the parts. */
export function unitFloat(...parts: ReadonlyArray<string | number | undefined>): number {
  return mulberry32(hashSeed(...parts))();
}
