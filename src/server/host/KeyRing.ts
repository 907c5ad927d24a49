/**
 * The accepted secret keys. Only keyed digests (HMAC-SHA256 with a secret
 * of the server's, kept in the data directory) are kept; a candidate is
 * compared against every key with timingSafeEqual, so neither a match nor
 * its position shows in the timing. The digest names the key's runs in
 * journals: without the secret, a copied journal cannot be used to test
 * guesses of a key.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export interface KeyMatch {
  /** Hex HMAC-SHA256 of the key: the namespace of its runs. Never logged. */
  readonly hash: string;
  /** Position in the configured keys; safe to show. */
  readonly index: number;
}

export class KeyRing {
  readonly #secret: Buffer;
  readonly #digests: Buffer[];

  /** `secret`: keys the digests; the same secret gives the same names (a restarted server finds its runs). */
  constructor(keys: readonly string[], secret: Buffer) {
    this.#secret = secret;
    this.#digests = keys.map(key => this.#digest(key));
  }

  match(candidate: string | null | undefined): KeyMatch | undefined {
    if (typeof candidate !== 'string' || candidate === '') return undefined;
    const probe = this.#digest(candidate);
    let found = -1;
    // No early exit: every key is compared whatever the outcome.
    this.#digests.forEach((known, index) => {
      if (timingSafeEqual(known, probe) && found < 0) found = index;
    });
    return found < 0 ? undefined : { hash: probe.toString('hex'), index: found };
  }

  /** Position of the key with this hash (for snapshots of restored runs), or -1. */
  indexOfHash(hash: string): number {
    return this.#digests.findIndex(known => known.toString('hex') === hash);
  }

  /** The hash of the key at this position (the view token names a key by position), or undefined. */
  hashAt(index: number): string | undefined {
    return this.#digests[index]?.toString('hex');
  }

  #digest(value: string): Buffer {
    return createHmac('sha256', this.#secret).update(value, 'utf8').digest();
  }
}
