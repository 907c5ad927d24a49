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

export class LocalQuarantine implements QuarantineStore {
  readonly #dir: string | undefined;
  readonly #held = new Map<string, Quarantine>();

  constructor(dataDir?: string) {
    this.#dir = dataDir === undefined ? undefined : path.join(dataDir, 'quarantine');
    if (this.#dir !== undefined) mkdirSync(this.#dir, { recursive: true });
  }

  async get(identity: RunIdentity): Promise<Quarantine> {
    return this.#load(identity);
  }

  async update(identity: RunIdentity, change: (q: Quarantine) => Quarantine): Promise<Quarantine> {
    const next = change(this.#load(identity));
    const id = hashOf([identity.keyHash, identity.runKey]);
    this.#held.set(id, next);
    const file = this.#fileOf(identity);
    if (file !== undefined) {
      if (!existsSync(file)) evictOldest(path.dirname(file), MAX_HISTORIES_PER_KEY - 1);
      writeFileSync(`${file}.${process.pid}.tmp`, JSON.stringify(next));
      renameSync(`${file}.${process.pid}.tmp`, file);
    }
    return next;
  }

  #fileOf(identity: RunIdentity): string | undefined {
    if (this.#dir === undefined) return undefined;
    const dir = path.join(this.#dir, hashOf([identity.keyHash]).slice(0, 32));
    mkdirSync(dir, { recursive: true });
    return path.join(dir, `${hashOf([identity.keyHash, identity.runKey])}.json`);
  }

  #load(identity: RunIdentity): Quarantine {
    const id = hashOf([identity.keyHash, identity.runKey]);
    const held = this.#held.get(id);
    if (held !== undefined) return held;
    const file = this.#fileOf(identity);
    let q = EMPTY_QUARANTINE;
    if (file !== undefined && existsSync(file)) {
      try {
        q = parseQuarantine(JSON.parse(readFileSync(file, 'utf8')));
      } catch {
        // Unreadable: as if empty (the next change writes it whole).
      }
    }
    this.#held.set(id, q);
    return q;
  }
}
