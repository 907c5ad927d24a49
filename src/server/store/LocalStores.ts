/**
 * Everything a server keeps, in this process: in memory, or with a data
 * dir, in files there (`runs/` journals, `history/`, `reports/`, and
 * `key-secret`, the secret that keys the hashes naming each key's runs: a
 * copied journal does not let anyone test guesses of a key without it).
 * One process, so it is the only server: its own instance is the one alive.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { LocalHistory } from './LocalHistory';
import { LocalTestHistory } from './LocalTestHistory';
import { LocalQuarantine } from './LocalQuarantine';
import { DEFAULT_TEST_HISTORY_DAYS, DEFAULT_TEST_HISTORY_RUNS } from './testHistory';
import { LocalReportStorage, type ReportLimits } from './LocalReportStorage';
import { LocalRunLog } from './LocalRunLog';
import type { Liveness, Stores, TestWindow } from './types';

export interface LocalStoresOptions extends ReportLimits {
  /** Where runs, histories and reports persist; none keeps everything in memory. */
  readonly dataDir?: string;
  /** Where an operator is told about what could not be restored or written. */
  readonly warn?: (message: string) => void;
  /** How much of each test's past to keep. @default 30 runs, 30 days */
  readonly testWindow?: TestWindow;
}

/** This process is the only server: channels of an earlier one (restored from its journal) are gone since this one started. */
function localLiveness(): Liveness {
  const instance = randomUUID();
  const startedAt = Date.now();
  return { instance, isAlive: other => other === instance, deadSince: () => startedAt };
}

export class LocalStores implements Stores {
  readonly runs: LocalRunLog;
  readonly liveness = localLiveness();
  readonly history: LocalHistory;
  readonly tests: LocalTestHistory;
  readonly quarantine: LocalQuarantine;
  readonly reports: LocalReportStorage;
  readonly #dataDir: string | undefined;

  constructor(options: LocalStoresOptions) {
    this.#dataDir = options.dataDir;
    this.reports = new LocalReportStorage(options, options.dataDir);
    // Report files of runs not restored are deleted.
    this.runs = new LocalRunLog({ dataDir: options.dataDir, warn: options.warn, onRestored: ids => this.reports.restore(ids) });
    this.history = new LocalHistory({ dataDir: options.dataDir });
    this.quarantine = new LocalQuarantine(options.dataDir);
    this.tests = new LocalTestHistory(options.testWindow ?? { runs: DEFAULT_TEST_HISTORY_RUNS, days: DEFAULT_TEST_HISTORY_DAYS }, options.dataDir);
  }

  /** Created on first use, readable by the owner only; without a data dir nothing outlives the process, so a fresh one will do. */
  async keySecret(): Promise<Buffer> {
    if (this.#dataDir === undefined) return randomBytes(32);
    const file = path.join(this.#dataDir, 'key-secret');
    if (!existsSync(file)) {
      try {
        writeFileSync(file, randomBytes(32).toString('hex'), { mode: 0o600, flag: 'wx' });
      } catch (error) {
        // Another server on the same directory made it first: read theirs.
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
    }
    return Buffer.from(readFileSync(file, 'utf8').trim(), 'hex');
  }

  async close(): Promise<void> {
    this.runs.close();
  }
}
