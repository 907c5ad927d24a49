/**
 * Whole-run reports held by the server: each node's per-file outcomes, as
 * bytes it never parses, until every node has fetched the others'. The
 * local storage: in memory, or, with a data dir, in one
 * file per run (only an index stays in memory). Bounded per run and, in
 * memory, in all; past a bound an upload is refused with a reason the node
 * prints. (RedisReportStorage is shared by every server on a Redis.)
 */
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readSync, rmSync, truncateSync, writeSync } from 'node:fs';
import path from 'node:path';
import { nodeLimit, runLimit, type ReportHeader } from '../../protocol/reports';
import { KeyedListeners } from './KeyedListeners';
import type { ReportStorage } from './types';

export interface ReportLimits {
  /** Bytes of reports one run may hold. */
  readonly maxReportBytesPerRun: number;
  /** Bytes of reports one node of a run may send. */
  readonly maxReportBytesPerNode: number;
  /** Bytes of reports held in memory across all runs (without a data dir). */
  readonly maxReportMemoryBytes: number;
}

interface Stored {
  readonly header: ReportHeader;
  /** In memory, or where the bytes are in the run's file. */
  readonly body: Buffer | { readonly offset: number; readonly length: number };
}

interface RunReports {
  readonly byFile: Map<string, Map<number, Stored>>;
  bytes: number;
  readonly nodeBytes: Map<number, number>;
  /** The run's report file, with a data dir. */
  file?: string;
  size: number;
}

function fileName(runId: string): string {
  return `${createHash('sha256').update(runId).digest('hex')}.reports`;
}

export class LocalReportStorage implements ReportStorage {
  readonly #limits: ReportLimits;
  readonly #dir: string | undefined;
  readonly #runs = new Map<string, RunReports>();
  readonly #listeners = new KeyedListeners();
  #memoryBytes = 0;

  /** `dataDir`: keep report bytes in `<dataDir>/reports/` instead of memory. */
  constructor(limits: ReportLimits, dataDir?: string) {
    this.#limits = limits;
    this.#dir = dataDir === undefined ? undefined : path.join(dataDir, 'reports');
    if (this.#dir !== undefined) mkdirSync(this.#dir, { recursive: true });
  }

  async add(runId: string, header: ReportHeader, body: Buffer): Promise<string | undefined> {
    const run = this.#run(runId);
    // A record sent again (an upload retried after a lost answer) replaces the first: its bytes count once.
    const previous = run.byFile.get(header.id)?.get(header.node);
    const previousBytes = previous?.body.length ?? 0;
    if (run.bytes - previousBytes + body.length > this.#limits.maxReportBytesPerRun) return runLimit(this.#limits.maxReportBytesPerRun);
    const nodeBytes = run.nodeBytes.get(header.node) ?? 0;
    if (nodeBytes - previousBytes + body.length > this.#limits.maxReportBytesPerNode) return nodeLimit(this.#limits.maxReportBytesPerNode);
    let stored: Stored;
    if (this.#dir === undefined) {
      if (this.#memoryBytes - previousBytes + body.length > this.#limits.maxReportMemoryBytes) {
        return `the server holds ${this.#memoryBytes} bytes of reports in memory, its limit (maxReportMemoryBytes); give it a data dir`;
      }
      stored = { header, body: Buffer.from(body) };
      this.#memoryBytes += body.length;
    } else {
      run.file ??= path.join(this.#dir, fileName(runId));
      const fd = openSync(run.file, 'a');
      try {
        // The header line first, so a restarted server can rebuild the index by reading the file.
        const headerLine = Buffer.from(`${JSON.stringify(header)}\n`);
        writeSync(fd, headerLine);
        writeSync(fd, body);
        writeSync(fd, '\n');
        stored = { header, body: { offset: run.size + headerLine.length, length: body.length } };
        run.size += headerLine.length + body.length + 1;
      } finally {
        closeSync(fd);
      }
    }
    run.bytes += body.length - previousBytes;
    run.nodeBytes.set(header.node, nodeBytes + body.length - previousBytes);
    if (previous !== undefined && Buffer.isBuffer(previous.body)) this.#memoryBytes -= previousBytes;
    let byNode = run.byFile.get(header.id);
    if (byNode === undefined) run.byFile.set(header.id, (byNode = new Map()));
    byNode.set(header.node, stored);
    this.#listeners.emit(runId);
    return undefined;
  }

  async get(runId: string, id: string, node: number): Promise<{ header: ReportHeader; body: Buffer } | undefined> {
    const stored = this.#runs.get(runId)?.byFile.get(id)?.get(node);
    if (stored === undefined) return undefined;
    if (Buffer.isBuffer(stored.body)) return { header: stored.header, body: stored.body };
    const body = Buffer.alloc(stored.body.length);
    const fd = openSync(this.#runs.get(runId)!.file!, 'r');
    try {
      readSync(fd, body, 0, body.length, stored.body.offset);
    } finally {
      closeSync(fd);
    }
    return { header: stored.header, body };
  }

  onAdded(runId: string, listener: () => void): () => void {
    return this.#listeners.add(runId, listener);
  }

  async forget(runId: string): Promise<void> {
    const run = this.#runs.get(runId);
    if (run === undefined) return;
    for (const byNode of run.byFile.values()) for (const stored of byNode.values()) if (Buffer.isBuffer(stored.body)) this.#memoryBytes -= stored.body.length;
    if (run.file !== undefined) rmSync(run.file, { force: true });
    this.#runs.delete(runId);
  }

  /**
   * Rebuilds the index from the data dir's report files (a restarted
   * server); `runIds` names the runs still held, the rest are deleted.
   */
  restore(runIds: Iterable<string>): void {
    if (this.#dir === undefined) return;
    const wanted = new Map([...runIds].map(id => [fileName(id), id]));
    for (const name of readdirSync(this.#dir)) {
      const runId = wanted.get(name);
      const file = path.join(this.#dir, name);
      if (runId === undefined) {
        rmSync(file, { force: true });
        continue;
      }
      this.#index(runId, file);
    }
  }

  #index(runId: string, file: string): void {
    if (!existsSync(file)) return;
    const run = this.#run(runId);
    run.file = file;
    // Line pairs: a header, then its body. Offsets of the whole pairs read;
    // a torn pair (the server died mid-write) or an unreadable line ends it.
    let offset = 0;
    let pairEnd = 0;
    let header: ReportHeader | undefined;
    const fd = openSync(file, 'r');
    try {
      const chunk = Buffer.alloc(1 << 20);
      let pending = Buffer.alloc(0);
      for (let read = readSync(fd, chunk, 0, chunk.length, null); read > 0; read = readSync(fd, chunk, 0, chunk.length, null)) {
        pending = Buffer.concat([pending, chunk.subarray(0, read)]);
        for (let nl = pending.indexOf(10); nl !== -1; nl = pending.indexOf(10)) {
          const line = pending.subarray(0, nl);
          if (header === undefined) {
            header = JSON.parse(line.toString('utf8')) as ReportHeader;
          } else {
            let byNode = run.byFile.get(header.id);
            if (byNode === undefined) run.byFile.set(header.id, (byNode = new Map()));
            byNode.set(header.node, { header, body: { offset, length: line.length } });
            run.bytes += line.length;
            run.nodeBytes.set(header.node, (run.nodeBytes.get(header.node) ?? 0) + line.length);
            header = undefined;
            pairEnd = offset + nl + 1;
          }
          offset += nl + 1;
          pending = pending.subarray(nl + 1);
        }
      }
    } catch {
      // What was indexed before the unreadable line stays.
    } finally {
      closeSync(fd);
    }
    // Appends start after the last whole pair.
    run.size = pairEnd;
    truncateSync(file, pairEnd);
  }

  #run(runId: string): RunReports {
    let run = this.#runs.get(runId);
    if (run === undefined) this.#runs.set(runId, (run = { byFile: new Map(), bytes: 0, nodeBytes: new Map(), size: 0 }));
    return run;
  }
}
