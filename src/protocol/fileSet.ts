/**
 * A run's file set, compared without sending it: nodes that found the same
 * test ids (same commit, same Jest arguments and config) have the same
 * digest. Pure.
 */
import { createHash } from 'node:crypto';

/** Hex sha256 of the ids, sorted, joined by "\n". */
export function fileSetDigest(ids: Iterable<string>): string {
  const hash = createHash('sha256');
  let first = true;
  for (const id of [...ids].sort()) {
    if (!first) hash.update('\n');
    hash.update(id);
    first = false;
  }
  return hash.digest('hex');
}

/** A new map keyed by test ids: no prototype, so `__proto__` and `constructor` are plain keys. */
export function idMap<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}
