/**
 * Quarantines kept by this process: with a data dir, a file per key and run
 * key (`quarantine/<key>/<run key>.json`, names hashed, written whole
 * through a temporary file); in memory without one.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { RunIdentity } from '../run/runIdentity';
import { evictOldest } from './evictOldest';
import { hashOf } from './hashOf';
import { MAX_HISTORIES_PER_KEY } from './history';
import { EMPTY_QUARANTINE, parseQuarantine, type Quarantine } from './quarantine';
import type { QuarantineStore } from './types';

/** Quarantines held in memory (with a data dir, the others are read from their files again). */
const MAX_HELD = 1_000;

export class LocalQuarantine implements QuarantineStore {
  readonly #dir: string | undefined;
  readonly #held = new Map<string, Quarantine>();

  constructor(dataDir?: string) {
    this.#dir = dataDir === undefined ? undefined : path.join(dataDir, 'quarantine');
    if (this.#dir !== undefined) mkdirSync(this.#dir, { recursive: true });
  }

  /** A run key with no quarantine reads as empty, and is not kept: reading any name costs nothing. */
  async get(identity: RunIdentity): Promise<Quarantine> {
    return this.#load(identity);
  }

  async update(identity: RunIdentity, change: (q: Quarantine) => Quarantine): Promise<Quarantine> {
    const before = this.#load(identity);
    const next = change(before);
    if (JSON.stringify(next) === JSON.stringify(before)) return before;
    const id = hashOf([identity.keyHash, identity.runKey]);
    if (!this.#held.has(id) && this.#held.size >= MAX_HELD) this.#held.delete(this.#held.keys().next().value!);
    this.#held.set(id, next);
    const file = this.#fileOf(identity, true);
    if (file !== undefined) {
      if (!existsSync(file)) evictOldest(path.dirname(file), MAX_HISTORIES_PER_KEY - 1);
      writeFileSync(`${file}.${process.pid}.tmp`, JSON.stringify(next));
      renameSync(`${file}.${process.pid}.tmp`, file);
    }
    return next;
  }

  /** Its file (the directory made only to write). */
  #fileOf(identity: RunIdentity, make = false): string | undefined {
    if (this.#dir === undefined) return undefined;
    const dir = path.join(this.#dir, hashOf([identity.keyHash]).slice(0, 32));
    if (make) mkdirSync(dir, { recursive: true });
    return path.join(dir, `${hashOf([identity.keyHash, identity.runKey])}.json`);
  }

  #load(identity: RunIdentity): Quarantine {
    const held = this.#held.get(hashOf([identity.keyHash, identity.runKey]));
    if (held !== undefined) return held;
    const file = this.#fileOf(identity);
    if (file === undefined || !existsSync(file)) return EMPTY_QUARANTINE;
    try {
      return parseQuarantine(JSON.parse(readFileSync(file, 'utf8')));
    } catch {
      // Unreadable: as if empty (the next change writes it whole).
      return EMPTY_QUARANTINE;
    }
  }
}
