/**
 * The one place an image body goes out, clean or faulty: v1's 200 and v2's media download. The
 * faults (truncate, slow-drip, oversized, huge-image, junk-200) look the same on both routes, so
 * a client's defences are tested against one behaviour.
 */
import type { ServerResponse } from 'node:http';
import type { FaultKind } from './faults.js';
import { sendHugeImage } from './huge-image.js';
import type { RenderedImage } from './render.js';
import { dripBody, sendJunk200, streamFiller } from './responses.js';

export type DeliveryOutcome = 'ok' | 'truncated' | 'slow-drip' | 'oversized' | 'junk';

export interface Delivery {
  /** Headers of every 200 this route sends (v1: the accounting headers). */
  headers: Record<string, string>;
  /** Added when the body is the image itself (v2 media: a CDN's cache-control). */
  imageHeaders?: Record<string, string>;
  dripBytesPerSecond: number;
  oversizedBytes: number;
  /** Aborted when the emulator closes: stops drips and filler. */
  signal: AbortSignal;
  /**
   * Called once, before the body goes out, with what the answer is and the fault applied (none
   * for `ok`), so billing and the request log show it while a slow body is still streaming.
   */
  onOutcome(outcome: DeliveryOutcome, fault?: FaultKind): void;
}

/** Answers 200 with `image`, or with what `fault` makes of it (any other kind: the clean image). */
export async function deliverImage(
  res: ServerResponse,
  image: RenderedImage,
  fault: FaultKind | undefined,
  d: Delivery
): Promise<void> {
  switch (fault) {
    case 'junk-200':
      d.onOutcome('junk', fault);
      sendJunk200(res);
      return;
    case 'oversized':
      d.onOutcome('oversized', fault);
      res.writeHead(200, { ...d.headers, 'content-type': 'application/octet-stream' });
      await streamFiller(res, d.oversizedBytes, d.signal);
      return;
    case 'huge-image':
      // A decompression bomb is "oversized" too: too many pixels rather than too many bytes.
      d.onOutcome('oversized', fault);
      await sendHugeImage(res, d.headers);
      return;
    default:
      break;
  }
  res.writeHead(200, {
    ...d.headers,
    'content-type': image.contentType,
    'content-length': image.bytes.length,
    ...d.imageHeaders,
  });
  if (fault === 'truncate') {
    d.onOutcome('truncated', fault);
    // Half the promised bytes, then a dropped connection: the client sees a short body.
    res.write(image.bytes.subarray(0, Math.floor(image.bytes.length / 2)), () => res.socket?.destroy());
    return;
  }
  if (fault === 'slow-drip') {
    d.onOutcome('slow-drip', fault);
    await dripBody(res, image.bytes, d.dripBytesPerSecond, d.signal);
    return;
  }
  d.onOutcome('ok');
  res.end(image.bytes);
}
