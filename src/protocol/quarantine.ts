/**
 * Which failures of a file a run's quarantine masks (pure). The one rule:
 * a node applies it before Jest's reporters see a file (FAST_CI_QUARANTINE),
 * the server to count the run's summary and --bail, both on the file's
 * entry, so the two cannot disagree. A failure of the file as a whole is
 * never masked: the file failed to run (its entry's own failure_message),
 * or every test failed with the same text (a hook, or the file's set-up).
 */
import { NOT_SENT, TRUNCATED, casesOf } from './entries';
import type { FileEntry, RunSummary } from './types';

/** A run's quarantined tests: [file id, full name], as the join reply carries them. */
export type QuarantineList = ReadonlyArray<readonly [string, string]>;

/** A quarantine list as it travels (a join reply, a run's events, a blob file's header): [file id, full name] pairs. */
export function isQuarantineList(value: unknown): value is Array<[string, string]> {
  return Array.isArray(value) && value.every(t => Array.isArray(t) && t.length === 2 && typeof t[0] === 'string' && typeof t[1] === 'string');
}

/** The list by file id: each file's quarantined full names. */
export function quarantineByFile(list: QuarantineList): Map<string, Set<string>> {
  const byFile = new Map<string, Set<string>>();
  for (const [file, name] of list) byFile.set(file, (byFile.get(file) ?? new Set()).add(name));
  return byFile;
}

/**
 * The quarantined tests that failed in this entry, by full name, when their
 * failures may be masked; none when the file failed as a whole.
 */
export function maskedFailures(entry: FileEntry, names: ReadonlySet<string> | undefined): string[] {
  return judge(entry, names).masked;
}

/** The file failed in quarantined tests only: its failure does not fail the run. */
export function failsOnlyInQuarantine(entry: FileEntry, names: ReadonlySet<string> | undefined): boolean {
  const { masked, failing } = judge(entry, names);
  return masked.length > 0 && masked.length === failing;
}

/** The entry's maskable quarantined failures, and how many of its tests failed, from one walk of its cases. */
function judge(entry: FileEntry, names: ReadonlySet<string> | undefined): { masked: string[]; failing: number } {
  if (names === undefined || names.size === 0 || entry.file_status !== 'failed' || entry.failure_message !== undefined) return { masked: [], failing: 0 };
  const cases = [...casesOf(entry)];
  const failing = cases.filter(c => c.status === 'failed');
  const masked = failing.filter(c => c.description !== undefined && names.has(c.description)).map(c => c.description!);
  // Failing assertions differ at least in their line; a hook's failure is the same text for every test.
  const hook = masked.length > 0 && cases.length >= 2 && failing.length === cases.length && failing.every(c => sameFailure(c.failure_message, failing[0]!.failure_message));
  return { masked: hook ? [] : masked, failing: failing.length };
}

/**
 * The files of a finished run that fail it, as a node in this
 * FAST_CI_QUARANTINE mode counts them: with `on`, a file that failed only in
 * quarantined tests does not; with `report` or `off` it does.
 */
export function failingFiles(summary: RunSummary, mode: 'on' | 'report' | 'off'): number {
  return summary.failed + (mode === 'on' ? 0 : (summary.quarantined?.length ?? 0));
}

/**
 * Two failure texts as an entry carries them are the same: equal as far as
 * both were sent (a text may be clipped at its limit, or not sent at all
 * once the file's failure text is over its limit).
 */
function sameFailure(a: string | undefined, b: string | undefined): boolean {
  if (a === NOT_SENT || b === NOT_SENT) return true;
  const x = unclipped(a ?? '');
  const y = unclipped(b ?? '');
  if (!x.clipped && !y.clipped) return x.text === y.text;
  if (x.clipped && y.clipped) {
    const n = Math.min(x.text.length, y.text.length);
    return x.text.slice(0, n) === y.text.slice(0, n);
  }
  // A clipped text was longer than what was kept of it.
  const [short, whole] = x.clipped ? [x.text, y.text] : [y.text, x.text];
  return whole.length > short.length && whole.startsWith(short);
}

function unclipped(text: string): { text: string; clipped: boolean } {
  return text.endsWith(TRUNCATED) ? { text: text.slice(0, -TRUNCATED.length), clipped: true } : { text, clipped: false };
}
