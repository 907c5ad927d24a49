/**
 * Reading and writing the timings file (format in ./timings).
 *
 * The fallback split reads the file **as committed**: in a git checkout, the
 * version at HEAD, never the work tree's copy. Every node of a run checks out
 * the same commit, so every node reads the same durations and computes the
 * same split, even where a work tree keeps files between builds (a
 * persistent CI workspace) or a node has already rewritten its copy.
 * Outside a git checkout, the file is read as it is.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { mergeTimings, parseTimings, serializeTimings, timingsDigest, type Durations } from './timingsFormat';
import { writeWhole } from './writeWhole';

export type CommittedTimings =
  | { readonly state: 'absent' | 'uncommitted'; readonly file: string }
  | { readonly state: 'invalid'; readonly file: string; readonly reason: string }
  | { readonly state: 'read'; readonly file: string; readonly durations: Durations; readonly digest: string; readonly from: 'HEAD' | 'disk' };

/** stdout of a read-only git command, undefined when git, the repository or the object is missing. */
function git(cwd: string, args: string[]): string | undefined {
  try {
    // A timings file of many thousand files is larger than execFileSync's 1 MiB default.
    return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5_000, maxBuffer: 64 * 2 ** 20 });
  } catch {
    return undefined;
  }
}

function readDisk(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** The file's text at HEAD; `null` when the file is in a git work tree but not at HEAD; undefined outside git. */
function atHead(file: string): string | null | undefined {
  let dir: string;
  try {
    dir = fs.realpathSync(path.dirname(file));
  } catch {
    return undefined;
  }
  const top = git(dir, ['rev-parse', '--show-toplevel'])?.trim();
  if (!top) return undefined;
  const relative = path.relative(top, path.join(dir, path.basename(file)));
  if (relative.startsWith('..') || path.isAbsolute(relative)) return undefined;
  return git(top, ['show', `HEAD:${relative.split(path.sep).join('/')}`]) ?? null;
}

/** The durations every node of a commit agrees on, or why there are none. */
export function readCommittedTimings(file: string): CommittedTimings {
  const committed = atHead(file);
  if (committed === null) return { state: fs.existsSync(file) ? 'uncommitted' : 'absent', file };
  const text = committed ?? readDisk(file);
  if (text === undefined) return { state: 'absent', file };
  const parsed = parseTimings(text);
  if (!parsed.ok) return { state: 'invalid', file, reason: parsed.reason };
  return { state: 'read', file, durations: parsed.durations, digest: timingsDigest(text), from: committed === undefined ? 'disk' : 'HEAD' };
}

/** The file as messages name it: relative to rootDir when inside it (as a user would commit it), else absolute. */
export function shownPath(rootDir: string, file: string): string {
  const relative = path.relative(rootDir, file);
  return relative === '' || relative.startsWith('..') || path.isAbsolute(relative) ? file : relative;
}

export type RecordOutcome = { readonly ok: true; readonly files: number } | { readonly ok: false; readonly reason: string };

/**
 * Lays this node's measured durations over the work tree's copy and writes
 * it whole. A copy that does not parse is left alone: it may be a merge
 * conflict the user is resolving.
 */
export function recordTimings(file: string, measured: Durations): RecordOutcome {
  const current = readDisk(file);
  let previous: Durations = new Map();
  if (current !== undefined) {
    const parsed = parseTimings(current);
    if (!parsed.ok) return { ok: false, reason: `the file is left as it is, because ${parsed.reason}` };
    previous = parsed.durations;
  }
  const merged = mergeTimings(previous, measured);
  const problem = writeWhole(file, serializeTimings(merged));
  return problem === undefined ? { ok: true, files: merged.size } : { ok: false, reason: problem };
}
