/**
 * Failed sign-ins, per remote address: past `maxFailures` in `windowMs`
 * an address is refused (429) until its oldest failure leaves the window,
 * so a key cannot be guessed at network speed. Bounded: at most
 * `maxAddresses` are tracked, the least recently failing dropped first.
 */
export interface ThrottleSettings {
  /** Failed attempts an address may make in the window. @default 20 */
  readonly maxFailures?: number;
  /** @default 60 s */
  readonly windowMs?: number;
  /** @default 10_000 */
  readonly maxAddresses?: number;
  readonly now?: () => number;
}

export const THROTTLE_DEFAULTS = { maxFailures: 20, windowMs: 60_000, maxAddresses: 10_000 } as const;

export class SignInThrottle {
  readonly #maxFailures: number;
  readonly #windowMs: number;
  readonly #maxAddresses: number;
  readonly #now: () => number;
  /** Failure times per address, oldest first; insertion order is "least recently failing first". */
  readonly #failures = new Map<string, number[]>();

  constructor(settings: ThrottleSettings = {}) {
    this.#maxFailures = settings.maxFailures ?? THROTTLE_DEFAULTS.maxFailures;
    this.#windowMs = settings.windowMs ?? THROTTLE_DEFAULTS.windowMs;
    this.#maxAddresses = settings.maxAddresses ?? THROTTLE_DEFAULTS.maxAddresses;
    this.#now = settings.now ?? Date.now;
  }

  /** Seconds until `address` may try again, or 0 when it may now. */
  retryAfter(address: string): number {
    const times = this.#recent(address);
    if (times.length < this.#maxFailures) return 0;
    return Math.max(1, Math.ceil((times[0]! + this.#windowMs - this.#now()) / 1000));
  }

  /** A wrong credential from `address`. */
  failed(address: string): void {
    const times = this.#recent(address);
    times.push(this.#now());
    this.#failures.delete(address);
    this.#failures.set(address, times.slice(-this.#maxFailures));
    while (this.#failures.size > this.#maxAddresses) this.#failures.delete(this.#failures.keys().next().value!);
  }

  #recent(address: string): number[] {
    const since = this.#now() - this.#windowMs;
    return (this.#failures.get(address) ?? []).filter(at => at > since);
  }
}
