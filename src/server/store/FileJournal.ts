/**
 * The append-only journal of one run: one JSON record per line. Records
 * are buffered and written with one sync per flush (the store flushes every
 * journal touched in a turn of the event loop, before any reply goes out),
 * so a burst of requests costs one fdatasync per journal, not one per record.
 */
import { closeSync, fdatasyncSync, ftruncateSync, openSync, readFileSync, writeSync } from 'node:fs';
import { checkEvent, type RunEvent } from '../run/runEvents';

export class FileJournal {
  readonly path: string;
  #fd: number | undefined;
  #buffer: string[] = [];
  #finished = false;
  readonly #onAppend: (journal: FileJournal) => void;

  /** `onAppend`: called on every append, so the store knows this journal needs a flush. */
  constructor(path: string, onAppend: (journal: FileJournal) => void) {
    this.path = path;
    this.#onAppend = onAppend;
  }

  get hasPending(): boolean {
    return this.#buffer.length > 0;
  }

  append(record: RunEvent): void {
    this.#buffer.push(`${JSON.stringify(record)}\n`);
    if (record.t === 'finish') this.#finished = true;
    this.#onAppend(this);
  }

  /** Writes and syncs what was appended since the last flush; returns how many records. Throws on an I/O error, keeping the records for the next try. */
  flush(): number {
    if (this.#buffer.length === 0) return 0;
    const records = this.#buffer.length;
    this.#fd ??= openSync(this.path, 'a');
    const data = Buffer.from(this.#buffer.join(''), 'utf8');
    for (let written = 0; written < data.length; ) written += writeSync(this.#fd, data, written);
    fdatasyncSync(this.#fd);
    this.#buffer = [];
    // A finished run gets no more records: give the descriptor back.
    if (this.#finished) this.close();
    return records;
  }

  close(): void {
    if (this.#fd === undefined) return;
    closeSync(this.#fd);
    this.#fd = undefined;
  }
}

export interface ReadJournal {
  readonly records: RunEvent[];
  /** What was skipped, one entry per line: "line 7: not JSON". */
  readonly skipped: string[];
  /** A torn last line (a crash mid-write) was cut off, so appends start on a line of their own. */
  readonly truncated: boolean;
}

/**
 * Reads a journal back, record by record: a line that is not JSON or not a
 * record of a known shape is skipped and named, the rest are kept. A torn
 * last line (no newline: the process died mid-write, it was never
 * acknowledged) is cut off the file, so the next record does not land on
 * it. Undefined when there is no valid `open` record first.
 */
export function readJournal(path: string): ReadJournal | undefined {
  const text = readFileSync(path, 'utf8');
  const end = text.lastIndexOf('\n') + 1;
  const truncated = end < text.length;
  if (truncated) {
    const fd = openSync(path, 'r+');
    try {
      ftruncateSync(fd, Buffer.byteLength(text.slice(0, end), 'utf8'));
      fdatasyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }
  const records: RunEvent[] = [];
  const skipped: string[] = [];
  text
    .slice(0, end)
    .split('\n')
    .forEach((line, i) => {
      if (line === '') return;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        skipped.push(`line ${i + 1}: not JSON`);
        return;
      }
      const problem = checkEvent(value);
      if (problem !== undefined) skipped.push(`line ${i + 1}: ${problem}`);
      else records.push(value as RunEvent);
    });
  if (records[0]?.t !== 'open') return undefined;
  return { records, skipped, truncated };
}
