/**
 * The emulated account: a credit balance in integer micro-dollars and the log of billed jobs.
 *
 * A job is billed when the service accepts it (it passed auth, validation and the balance check),
 * like a GPU service that starts the job at once: the charge stands whatever happens next — the
 * client disconnecting, never polling, the download breaking. The entry's `outcome` is updated as
 * the job goes on (`pending` → `ok`, `client-closed`, `failed`, …); the charge never changes.
 */
import type { EmulatedModel } from './models.js';

export type BillingApi = 'v1' | 'v2';

/**
 * - `ok`: v1 image sent in full / v2 job COMPLETED
 * - `pending`: v2 job accepted, not finished yet (or a v1 job still running)
 * - `client-closed`: v1 client left before the image was sent
 * - `truncated` / `slow-drip` / `oversized`: v1 delivery faults (the job itself ran)
 * - `failed`: v2 job that ended FAILED
 * - `error`: the emulator itself failed to render (a bug; still billed, like the real thing)
 */
export type BilledOutcome =
  'ok' | 'pending' | 'client-closed' | 'truncated' | 'slow-drip' | 'oversized' | 'failed' | 'error';

export interface BillingEntry {
  /** v1: the `x-request-id`; v2: the `request_id`. */
  requestId: string;
  api: BillingApi;
  model: EmulatedModel;
  seed: number;
  /** Steps run; absent for models that take no step count. */
  steps?: number;
  /** The size the provider produced (its own size table). */
  width: number;
  height: number;
  /** Simulated GPU-seconds (ms precision); what per-second models are billed on. */
  gpuSeconds: number;
  costMicros: number;
  creditsAfterMicros: number;
  outcome: BilledOutcome;
  /** Epoch ms (emulator clock) when the job was accepted and charged. */
  acceptedAt: number;
  /** Same as `acceptedAt` (kept for older readers). */
  at: number;
}

export type ChargeInput = Omit<BillingEntry, 'creditsAfterMicros' | 'at' | 'acceptedAt'>;

export class Account {
  private balance: number;
  private log: BillingEntry[] = [];

  constructor(
    private startingMicros: number,
    private readonly now: () => number = Date.now
  ) {
    this.balance = startingMicros;
  }

  get balanceMicros(): number {
    return this.balance;
  }

  /** Kept for older readers: nothing is held any more, charges are immediate. */
  get availableMicros(): number {
    return this.balance;
  }

  entries(): BillingEntry[] {
    return this.log.map((e) => ({ ...e }));
  }

  totalChargedMicros(): number {
    return this.log.reduce((sum, e) => sum + e.costMicros, 0);
  }

  /**
   * Accepts and charges a job if the balance covers `needMicros` (≥ its cost); undefined when it
   * does not (the caller answers 406). Synchronous, so concurrent calls never overdraw.
   */
  accept(needMicros: number, entry: ChargeInput): BillingEntry | undefined {
    if (this.balance < Math.max(needMicros, entry.costMicros)) return undefined;
    this.balance -= entry.costMicros;
    const at = this.now();
    const full: BillingEntry = { ...entry, creditsAfterMicros: this.balance, acceptedAt: at, at };
    this.log.push(full);
    return { ...full };
  }

  /** Records how a billed job ended; the charge is unchanged. */
  settle(requestId: string, outcome: BilledOutcome): void {
    const entry = this.log.find((e) => e.requestId === requestId);
    if (entry) entry.outcome = outcome;
  }

  setCredits(micros: number): void {
    this.balance = micros;
  }

  /** Clears the log and restores the starting balance (or a new one, which becomes the start). */
  reset(startingMicros?: number): void {
    if (startingMicros !== undefined) this.startingMicros = startingMicros;
    this.balance = this.startingMicros;
    this.log = [];
  }
}
