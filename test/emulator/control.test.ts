import { request } from 'undici';
import {
  configureFaults,
  emulatorHealth,
  fetchBilling,
  fetchFaults,
  fetchRequests,
  resetEmulator,
  setEmulatorCredits,
} from '../../emulator/control-client.js';
import { createEmulator, type Emulator } from '../../emulator/server.js';
import { post, schnell } from './helpers.js';

describe('emulator: /_emulator control endpoints', () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await createEmulator({ creditsMicros: 5_000_000 });
  });
  afterAll(() => emulator.close());

  test('health, billing, requests, faults, credits and reset over HTTP', async () => {
    expect(await emulatorHealth(emulator.url)).toMatchObject({ ok: true });
    await resetEmulator(emulator.url);

    const state = await configureFaults(emulator.url, { script: [{ kind: '503' }], retryAfterSeconds: 4 });
    expect(state).toEqual({ script: [{ kind: '503', times: 1 }], random: null, retryAfterSeconds: 4 });
    expect((await post(emulator, 'flux-schnell', schnell(1))).status).toBe(503);
    const ok = await post(emulator, 'flux-schnell', schnell(1));
    expect(ok.status).toBe(200);

    const billing = await fetchBilling(emulator.url);
    expect(billing.entries).toHaveLength(1);
    expect(billing.entries[0]).toMatchObject({ requestId: ok.headers['x-request-id'], outcome: 'ok', seed: 1 });
    expect(billing.totalCostMicros).toBe(billing.entries[0]!.costMicros);
    expect(billing.creditsMicros).toBe(5_000_000 - billing.totalCostMicros);
    expect((await fetchRequests(emulator.url)).map((r) => r.status)).toEqual([503, 200]);

    await configureFaults(emulator.url, { random: { seed: 1, rates: { '429': 1 } } });
    expect((await fetchFaults(emulator.url)).random).toEqual({ seed: 1, rates: { '429': 1 } });
    expect((await post(emulator, 'flux-schnell', schnell(2))).status).toBe(429);

    await setEmulatorCredits(emulator.url, 10);
    expect(emulator.credits()).toBe(10);

    expect(await resetEmulator(emulator.url, { creditsMicros: 2_000_000 })).toEqual({
      ok: true,
      creditsMicros: 2_000_000,
    });
    expect(await fetchBilling(emulator.url)).toEqual({ entries: [], totalCostMicros: 0, creditsMicros: 2_000_000 });
    expect(await fetchFaults(emulator.url)).toMatchObject({ script: [], random: null });
    expect(await fetchRequests(emulator.url)).toEqual([]);
    expect((await post(emulator, 'flux-schnell', schnell(2))).status).toBe(200);
    // A new starting balance sticks for later resets.
    await resetEmulator(emulator.url);
    expect(emulator.credits()).toBe(2_000_000);
  });

  test('bad control requests are 400 naming the problem; unknown paths 404', async () => {
    await expect(configureFaults(emulator.url, { script: [{ kind: 'boom' as never }] })).rejects.toThrow(
      /400.*script\[0\]\.kind/
    );
    await expect(setEmulatorCredits(emulator.url, 1.5)).rejects.toThrow(/400.*creditsMicros/);
    const res = await request(`${emulator.url}/_emulator/nope`);
    expect(res.statusCode).toBe(404);
    await res.body.dump();
    const get = await request(`${emulator.url}/_emulator/reset`);
    expect(get.statusCode).toBe(405);
    await get.body.dump();
  });
});
