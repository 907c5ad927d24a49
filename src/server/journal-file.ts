/**
 * The append-only journal of one run: one JSON record per line, each written
 * and fdatasync'ed before append() returns, so a reply sent after it never
 * acknowledges something a crash could lose.
 */
import { closeSync, fdatasyncSync, openSync, readFileSync, writeSync } from 'node:fs';
import type { RunJournal, RunRecord } from './run-records';

export class FileJournal implements RunJournal {
  readonly path: string;
  #fd: number | undefined;

  constructor(path: string) {
    this.path = path;
  }

  append(record: RunRecord): void {
    this.#fd ??= openSync(this.path, 'a');
    writeSync(this.#fd, `${JSON.stringify(record)}\n`);
    fdatasyncSync(this.#fd);
    // A finished run gets no more records: give the descriptor back.
    if (record.t === 'finish') this.close();
  }

  close(): void {
    if (this.#fd === undefined) return;
    closeSync(this.#fd);
    this.#fd = undefined;
  }
}

/**
 * Reads a journal back. A torn last line (the process died mid-write) is
 * dropped; it was never acknowledged. Returns undefined when the file does
 * not start with an `open` record.
 */
export function readJournal(path: string): RunRecord[] | undefined {
  const lines = readFileSync(path, 'utf8').split('\n');
  const records: RunRecord[] = [];
  for (const line of lines) {
    if (line === '') continue;
    try {
      records.push(JSON.parse(line) as RunRecord);
    } catch {
      break;
    }
  }
  return records[0]?.t === 'open' ? records : undefined;
}
