/**
 * The emulated account: a credit balance in integer micro-dollars and the log of billed calls.
 *
 * A call reserves its cost when it is admitted and is charged only when it completes (a 200,
 * or a truncated 200 — the job ran), so concurrent calls cannot overdraw the balance and a
 * failed or abandoned call costs nothing.
 */
import type { FluxModel } from '../shared/price-card.js';

export type BilledOutcome = 'ok' | 'truncated';

export interface BillingEntry {
  requestId: string;
  model: FluxModel;
  seed: number;
  /** Steps run; absent for models that take no step count. */
  steps?: number;
  width: number;
  height: number;
  /** Simulated GPU-seconds (ms precision); what per-second models are billed on. */
  gpuSeconds: number;
  costMicros: number;
  creditsAfterMicros: number;
  outcome: BilledOutcome;
  /** Epoch ms when the charge was made. */
  at: number;
}

export interface Reservation {
  /** Charges the reserved call and appends it to the log. */
  charge(entry: Omit<BillingEntry, 'creditsAfterMicros' | 'at'>): BillingEntry;
  /** Frees the reservation without charging (error, hang, client gone). Idempotent. */
  release(): void;
}

export class Account {
  private balance: number;
  private reserved = 0;
  private log: BillingEntry[] = [];

  constructor(private startingMicros: number) {
    this.balance = startingMicros;
  }

  get balanceMicros(): number {
    return this.balance;
  }

  /** Balance not held by calls in flight. */
  get availableMicros(): number {
    return this.balance - this.reserved;
  }

  entries(): BillingEntry[] {
    return this.log.map((e) => ({ ...e }));
  }

  totalChargedMicros(): number {
    return this.log.reduce((sum, e) => sum + e.costMicros, 0);
  }

  /** Holds `micros` for a call, or undefined when the available balance is short. */
  reserve(micros: number): Reservation | undefined {
    if (this.availableMicros < micros) return undefined;
    this.reserved += micros;
    let open = true;
    const close = (): void => {
      if (!open) return;
      open = false;
      this.reserved -= micros;
    };
    return {
      charge: (entry) => {
        close();
        this.balance -= entry.costMicros;
        const full: BillingEntry = { ...entry, creditsAfterMicros: this.balance, at: Date.now() };
        this.log.push(full);
        return { ...full };
      },
      release: close,
    };
  }

  setCredits(micros: number): void {
    this.balance = micros;
  }

  /** Clears the log and restores the starting balance (or a new one, which becomes the start). */
  reset(startingMicros?: number): void {
    if (startingMicros !== undefined) this.startingMicros = startingMicros;
    this.balance = this.startingMicros;
    this.log = [];
    // In-flight reservations keep their holds; they release against the new balance.
  }
}
