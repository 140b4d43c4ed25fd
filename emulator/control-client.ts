/**
 * Typed helpers for the `/_emulator/*` endpoints, for the demo and tests that talk to an
 * emulator in another process (in-process callers use the Emulator object directly).
 */
import { request } from 'undici';
import type { BillingEntry } from './billing.js';
import type { FaultConfig, RandomFaults, ScriptedFault } from './faults.js';
import type { RequestRecord } from './server.js';

async function call<T>(baseUrl: string, method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  const res = await request(`${baseUrl.replace(/\/+$/, '')}/_emulator/${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.body.text();
  if (res.statusCode !== 200)
    throw new Error(`emulator ${method} /_emulator/${path} answered ${res.statusCode}: ${text}`);
  return JSON.parse(text) as T;
}

export interface BillingReport {
  entries: BillingEntry[];
  totalCostMicros: number;
  creditsMicros: number;
}

export interface FaultState {
  script: ScriptedFault[];
  random: RandomFaults | null;
  retryAfterSeconds: number;
}

export const emulatorHealth = (baseUrl: string) => call<{ ok: boolean }>(baseUrl, 'GET', 'health');
export const fetchBilling = (baseUrl: string) => call<BillingReport>(baseUrl, 'GET', 'billing');
export const fetchRequests = (baseUrl: string) =>
  call<{ requests: RequestRecord[] }>(baseUrl, 'GET', 'requests').then((r) => r.requests);
export const fetchFaults = (baseUrl: string) => call<FaultState>(baseUrl, 'GET', 'faults');
export const configureFaults = (baseUrl: string, config: FaultConfig) =>
  call<FaultState>(baseUrl, 'POST', 'faults', config);
export const setEmulatorCredits = (baseUrl: string, creditsMicros: number) =>
  call<{ creditsMicros: number }>(baseUrl, 'POST', 'credits', { creditsMicros });
export const resetEmulator = (baseUrl: string, options: { creditsMicros?: number } = {}) =>
  call<{ ok: boolean; creditsMicros: number }>(baseUrl, 'POST', 'reset', options);
