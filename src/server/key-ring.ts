/**
 * The accepted secret keys. Only sha256 digests are kept; a candidate is
 * compared against every key with timingSafeEqual, so neither a match nor
 * its position shows in the timing.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

export interface KeyMatch {
  /** Hex sha256 of the key: the namespace of its runs. Never logged. */
  readonly hash: string;
  /** Position in the configured keys; safe to show. */
  readonly index: number;
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

export class KeyRing {
  #digests: Buffer[];

  constructor(keys: readonly string[]) {
    this.#digests = keys.map(digest);
  }

  match(candidate: string | null | undefined): KeyMatch | undefined {
    if (typeof candidate !== 'string' || candidate === '') return undefined;
    const probe = digest(candidate);
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
}
