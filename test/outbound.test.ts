/**
 * The outbound guard (node/outbound.ts): the address classifier on the literal forms an attacker
 * uses, the allowlist syntax, and the connect-time check of a real undici Agent against a local server.
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import {
  OutboundRefusedError,
  addressRange,
  hostAllowlist,
  isLoopbackHost,
  outboundAgent,
  outboundProblem,
  type OutboundRules,
} from '../node/outbound.js';

describe('addressRange', () => {
  test.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['::1', 'loopback'],
    ['[::1]', 'loopback'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['[::ffff:7f00:1]', 'loopback'],
    ['::127.0.0.1', 'loopback'],
    ['64:ff9b::7f00:1', 'loopback'],
    ['64:ff9b::a00:1', 'private'],
    ['64:ff9b::169.254.169.254', 'link-local'],
    ['2002:7f00:1::', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['::ffff:192.168.1.1', 'private'],
    ['fc00::1', 'private'],
    ['fd12:3456::1', 'private'],
    ['169.254.169.254', 'link-local'],
    ['::ffff:169.254.169.254', 'link-local'],
    ['fe80::1', 'link-local'],
    ['febf::1', 'link-local'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['100.64.0.1', 'shared (CGNAT)'],
    ['100.127.255.254', 'shared (CGNAT)'],
    ['224.0.0.1', 'multicast'],
    ['ff02::1', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['240.0.0.1', 'reserved'],
    ['192.0.2.10', 'reserved'],
    ['2001:db8::1', 'reserved'],
    ['3fff::1', undefined],
    ['4000::1', 'reserved'],
  ])('%s is %s', (address, range) => {
    expect(addressRange(address)).toBe(range);
  });

  test.each([
    '8.8.8.8',
    '1.1.1.1',
    '172.32.0.1',
    '100.128.0.1',
    '::ffff:8.8.8.8',
    '64:ff9b::808:808',
    '2606:4700::1111',
  ])('%s is public', (address) => {
    expect(addressRange(address)).toBeUndefined();
  });

  test('URL parsing turns the other spellings of 127.0.0.1 into one the classifier sees', () => {
    for (const spelling of ['http://2130706433/', 'http://0x7f.1/', 'http://127.1/', 'http://[::ffff:127.0.0.1]/']) {
      expect(addressRange(new URL(spelling).hostname)).toBe('loopback');
    }
  });

  test('loopback hosts', () => {
    expect(['localhost', 'a.localhost', '127.0.0.2', '[::1]', '[::ffff:7f00:1]'].map(isLoopbackHost)).toEqual([
      true,
      true,
      true,
      true,
      true,
    ]);
    expect(['example.com', '10.0.0.1', 'localhost.example.com'].map(isLoopbackHost)).toEqual([false, false, false]);
  });
});

describe('hostAllowlist', () => {
  test('names, *.suffix and host:port', () => {
    const allowed = hostAllowlist('X', ['media.example.com', '*.cdn.example.net', 'hooks.local:8080', '[::1]:9'], {
      ports: true,
    });
    expect(allowed('MEDIA.example.com.', 443)).toBe(true);
    expect(allowed('a.b.cdn.example.net', 443)).toBe(true);
    expect(allowed('cdn.example.net', 443)).toBe(false);
    expect(allowed('evilcdn.example.net', 443)).toBe(false);
    expect(allowed('hooks.local', 8080)).toBe(true);
    expect(allowed('hooks.local', 8081)).toBe(false);
    expect(allowed('::1', 9)).toBe(true);
  });

  test('a bad entry names the setting', () => {
    expect(() => hostAllowlist('THUMBGATE_MEDIA_HOSTS', ['a.example:443'], { ports: false })).toThrow(
      /THUMBGATE_MEDIA_HOSTS entries are host name or \*\.suffix.*"a\.example:443"/
    );
    for (const bad of ['https://a.example', 'a.example/x', 'u@a.example', '*', '*.*.a']) {
      expect(() => hostAllowlist('X', [bad], { ports: true })).toThrow(RangeError);
    }
  });
});

describe('outboundAgent: the address connected to is the address checked', () => {
  let server: Server;
  let port: number;
  const hits: string[] = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      hits.push(req.headers.host ?? '');
      res.writeHead(404).end('aws_secret_access_key=not-for-you');
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((done) => server.close(() => done())));
  beforeEach(() => hits.splice(0));

  const rules = (allowLoopbackFor?: string): OutboundRules => ({
    schemes: ['http:'],
    nonPublicAllowed: (host, _port, range) => host === allowLoopbackFor && range === 'loopback',
    widen: 'TEST_HOSTS',
  });

  test('a name that resolves to loopback is refused at connect time; nothing reaches the server', async () => {
    // The URL check passes (a public-looking name); only the connect-time lookup sees 127.0.0.1.
    const url = new URL(`http://media.example.test:${port}/x.jpg`);
    expect(outboundProblem(url, rules())).toBeUndefined();
    const agent = outboundAgent(rules(), { resolve: () => Promise.resolve(['127.0.0.1']) });
    try {
      const err = await request(url, { dispatcher: agent }).then(
        () => undefined,
        (e: unknown) => e
      );
      expect(err).toBeInstanceOf(OutboundRefusedError);
      expect((err as Error).message).toBe('media.example.test resolves to a loopback address (TEST_HOSTS)');
      expect(hits).toEqual([]);
    } finally {
      await agent.close();
    }
  });

  test('one non-public address among several refuses the name', async () => {
    const agent = outboundAgent(rules(), { resolve: () => Promise.resolve(['93.184.215.14', '::ffff:10.0.0.5']) });
    try {
      await expect(request(`http://mixed.example.test:${port}/`, { dispatcher: agent })).rejects.toThrow(
        /mixed\.example\.test resolves to a private address/
      );
    } finally {
      await agent.close();
    }
  });

  test('an allowed host connects to the checked address', async () => {
    const agent = outboundAgent(rules('hooks.test'), { resolve: () => Promise.resolve(['127.0.0.1']) });
    try {
      const res = await request(`http://hooks.test:${port}/`, { dispatcher: agent });
      await res.body.dump();
      expect(res.statusCode).toBe(404);
      expect(hits).toEqual([`hooks.test:${port}`]);
    } finally {
      await agent.close();
    }
  });

  test('IP literals are refused before DNS, in the URL check and at connect', async () => {
    const url = new URL(`http://[::ffff:127.0.0.1]:${port}/`);
    expect(outboundProblem(url, rules())).toBe('::ffff:7f00:1 is a loopback address (TEST_HOSTS)');
    const agent = outboundAgent(rules(), { resolve: () => Promise.resolve(['8.8.8.8']) });
    try {
      await expect(request(url, { dispatcher: agent })).rejects.toBeInstanceOf(OutboundRefusedError);
      expect(hits).toEqual([]);
    } finally {
      await agent.close();
    }
  });

  test('scheme and host rules', () => {
    const strict: OutboundRules = { ...rules(), schemes: ['https:'], hostAllowed: (h) => h === 'ok.example' };
    expect(outboundProblem(new URL('http://ok.example/'), strict)).toBe(
      'ok.example: http is not allowed, only https (TEST_HOSTS)'
    );
    expect(outboundProblem(new URL('https://other.example/'), strict)).toBe(
      'other.example is not an allowed host (TEST_HOSTS)'
    );
    expect(outboundProblem(new URL('file:///etc/passwd'), strict)).toMatch(/file is not allowed/);
    expect(outboundProblem(new URL('https://ok.example/x'), strict)).toBeUndefined();
  });
});
