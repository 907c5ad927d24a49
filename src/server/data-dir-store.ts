/**
 * The data directory: `runs/<id>.jsonl` journals (issue 5) and
 * `history/<id>.json` durations (issue 6). File names are hashes, so
 * neither build ids nor key hashes appear in a listing.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import debug from 'debug';
import { DurationHistory } from './duration-history';
import { FileJournal, readJournal } from './journal-file';
import type { RunIdentity } from './run';
import type { RunStore } from './run-registry';
import type { RunJournal, RunRecord } from './run-records';
import type { RunMeta, RunSnapshot } from './types';

const log = debug('jest-fast-ci:server:run');

function hashOf(parts: string[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}

export class DataDirStore implements RunStore {
  #runsDir: string;
  #historyDir: string;
  #journals = new Map<string, FileJournal>();
  #histories = new Map<string, DurationHistory>();

  constructor(dataDir: string) {
    this.#runsDir = path.join(dataDir, 'runs');
    this.#historyDir = path.join(dataDir, 'history');
    mkdirSync(this.#runsDir, { recursive: true });
    mkdirSync(this.#historyDir, { recursive: true });
  }

  journal(identity: RunIdentity, meta: RunMeta): RunJournal {
    const id = hashOf([identity.keyHash, identity.runKey, identity.buildId]);
    const journal = new FileJournal(path.join(this.#runsDir, `${id}.jsonl`));
    if (!existsSync(journal.path)) {
      journal.append({ t: 'open', keyHash: identity.keyHash, runKey: identity.runKey, buildId: identity.buildId, meta, at: Date.now() });
    }
    this.#journals.set(id, journal);
    return journal;
  }

  history(identity: RunIdentity): (id: string) => number | undefined {
    const history = this.#historyFor(identity);
    return id => history.get(id);
  }

  finished(run: RunSnapshot, identity: RunIdentity): void {
    try {
      this.#historyFor(identity).update(run.results);
    } catch (error) {
      // History only improves the order of later runs; losing it must not fail this one.
      log('could not save duration history: %s', (error as Error).message);
    }
  }

  forget(identity: RunIdentity): void {
    const id = hashOf([identity.keyHash, identity.runKey, identity.buildId]);
    this.#journals.get(id)?.close();
    this.#journals.delete(id);
    rmSync(path.join(this.#runsDir, `${id}.jsonl`), { force: true });
  }

  restore(): Array<{ identity: RunIdentity; meta: RunMeta; records: RunRecord[] }> {
    const restored: Array<{ identity: RunIdentity; meta: RunMeta; records: RunRecord[] }> = [];
    for (const name of readdirSync(this.#runsDir)) {
      if (!name.endsWith('.jsonl')) continue;
      const records = readJournal(path.join(this.#runsDir, name));
      const open = records?.[0];
      if (records === undefined || open?.t !== 'open') {
        log('skipping unreadable journal %s', name);
        continue;
      }
      restored.push({ identity: { keyHash: open.keyHash, runKey: open.runKey, buildId: open.buildId }, meta: open.meta, records });
    }
    return restored;
  }

  close(): void {
    for (const journal of this.#journals.values()) journal.close();
    this.#journals.clear();
  }

  #historyFor(identity: RunIdentity): DurationHistory {
    const id = hashOf([identity.keyHash, identity.runKey]);
    let history = this.#histories.get(id);
    if (history === undefined) {
      history = new DurationHistory(path.join(this.#historyDir, `${id}.json`));
      this.#histories.set(id, history);
    }
    return history;
  }
}
