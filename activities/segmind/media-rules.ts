/**
 * The rules for a v2 result's media download (the `output` URL is the provider's choice; see
 * node/outbound.ts for the checks), and how an error may describe what a media URL answered.
 */
import { hostAllowlist, isLoopbackHost, normalHost, type OutboundRules } from '../../node/outbound.js';

/**
 * Where a v2 result's media may be fetched from: https, from the base URL's own host or a
 * THUMBGATE_MEDIA_HOSTS entry, at a public address. An emulator base URL (http, which the worker
 * allows only for an emulator, or a loopback host) serves media itself: there http and the emulator
 * host's own address (loopback in tests and the demo, the compose network's private one) are allowed
 * too, for that host only.
 */
export function mediaRules(base: URL, mediaHosts: readonly string[]): OutboundRules {
  const emulator = base.protocol === 'http:' || isLoopbackHost(base.hostname);
  const listed = hostAllowlist('THUMBGATE_MEDIA_HOSTS', mediaHosts, { ports: false });
  const baseHost = normalHost(base.hostname);
  const own = (host: string) => host === baseHost || (isLoopbackHost(baseHost) && isLoopbackHost(host));
  return {
    schemes: emulator ? ['https:', 'http:'] : ['https:'],
    hostAllowed: (host, port) => own(host) || listed(host, port),
    nonPublicAllowed: (host) => emulator && own(host),
    widen: `media comes from ${baseHost} or THUMBGATE_MEDIA_HOSTS, over https, at public addresses`,
  };
}

/** A media answer as an error may describe it: its media type and declared length, never its body. */
export function mediaAnswer(contentType: string | undefined, length: number | undefined): string {
  const type = contentType?.split(';')[0]!.trim().toLowerCase() ?? '';
  const shown = /^[a-z0-9][\w.+-]{0,63}\/[\w.+-]{1,64}$/.test(type) ? type : 'no usable content type';
  return `with ${shown}${length !== undefined ? ` (${length} bytes)` : ''}`;
}
