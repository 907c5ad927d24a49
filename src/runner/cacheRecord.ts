/**
 * What this machine's Jest cache is warm for: the test files this node ran,
 * kept in a small file inside Jest's `cacheDirectory`. CI saves and
 * restores it with the cache it describes (and it is gone when the cache
 * is), so it holds for every cache set-up: a key per shard, one shared key,
 * or none. The node sends the files it names in its join (extension `warm`)
 * and the server hands it those first: their transforms need no compiling.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeWhole } from './writeWhole';

/** The record's file name inside Jest's cacheDirectory. */
export const CACHE_RECORD_FILE = 'jest-fast-ci-warm.json';
const VERSION = 1;
/** Files kept per record; the least recently run go first. */
export const MAX_RECORDED_FILES = 50_000;

/** Test id → when this machine last ran it (epoch ms). */
export type CacheRecord = Map<string, number>;

export type ReadRecord = { readonly ok: true; readonly record: CacheRecord } | { readonly ok: false; readonly reason: string };

export function cacheRecordPath(cacheDirectory: string): string {
  return path.join(cacheDirectory, CACHE_RECORD_FILE);
}

/** The record as text was written; an absent file is an empty record. */
export function parseCacheRecord(text: string): ReadRecord {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, reason: `it is not JSON (${(error as Error).message})` };
  }
  const r = value as { version?: unknown; files?: unknown } | null;
  if (r === null || typeof r !== 'object' || r.version !== VERSION || r.files === null || typeof r.files !== 'object' || Array.isArray(r.files)) {
    return { ok: false, reason: `it is not {"version": ${VERSION}, "files": {<test id>: <when last run>}}` };
  }
  const record: CacheRecord = new Map();
  for (const [id, at] of Object.entries(r.files as Record<string, unknown>)) {
    if (typeof at === 'number' && Number.isFinite(at)) record.set(id, at);
  }
  return { ok: true, record };
}

export function readCacheRecord(file: string): ReadRecord {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { ok: true, record: new Map() };
    return { ok: false, reason: (error as Error).message };
  }
  return parseCacheRecord(text);
}

/** `record` with `ran` marked as run `at`, cut to the MAX_RECORDED_FILES most recently run. */
export function withRun(record: CacheRecord, ran: Iterable<string>, at: number): CacheRecord {
  const next = new Map(record);
  for (const id of ran) next.set(id, at);
  if (next.size <= MAX_RECORDED_FILES) return next;
  return new Map([...next].sort((a, b) => b[1] - a[1]).slice(0, MAX_RECORDED_FILES));
}

export function serializeCacheRecord(record: CacheRecord): string {
  return JSON.stringify({ version: VERSION, files: Object.fromEntries(record) });
}

/** Writes the record whole: a cache saved mid-write never holds half a record. */
export function writeCacheRecord(file: string, record: CacheRecord): string | undefined {
  return writeWhole(file, serializeCacheRecord(record));
}

/** The records of one node: one per cacheDirectory its projects use with Jest's cache on. */
export class NodeCacheRecords {
  /** Test id → the record file of its project's cacheDirectory. */
  readonly #fileOf = new Map<string, string>();
  readonly #records = new Map<string, CacheRecord>();
  /** Records that could not be read, with why (they are rewritten at the end). */
  readonly problems: string[] = [];
  /** This run's files the records name: their transforms are in this machine's cache. */
  readonly warm: readonly string[];

  /** `files`: each test id with its project's cacheDirectory, or undefined when that project runs with the cache off. */
  constructor(files: Iterable<readonly [id: string, cacheDirectory: string | undefined]>) {
    for (const [id, directory] of files) {
      if (directory !== undefined) this.#fileOf.set(id, cacheRecordPath(directory));
    }
    for (const file of new Set(this.#fileOf.values())) {
      const read = readCacheRecord(file);
      if (read.ok) this.#records.set(file, read.record);
      else {
        this.#records.set(file, new Map());
        this.problems.push(`ignored ${file}: ${read.reason}`);
      }
    }
    this.warm = [...this.#fileOf].filter(([id, file]) => this.#records.get(file)!.has(id)).map(([id]) => id);
  }

  /** The record files, one per cacheDirectory. */
  get files(): string[] {
    return [...this.#records.keys()];
  }

  /** Adds the files run here to each record and writes it; returns what could not be written. */
  save(ran: ReadonlySet<string>, at: number): string[] {
    const problems: string[] = [];
    for (const [file, record] of this.#records) {
      const here = [...ran].filter(id => this.#fileOf.get(id) === file);
      if (here.length === 0) continue;
      const problem = writeCacheRecord(file, withRun(record, here, at));
      if (problem !== undefined) problems.push(`could not write ${file}: ${problem}`);
    }
    return problems;
  }
}
