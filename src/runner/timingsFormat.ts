/**
 * The timings file's format: the last measured duration of each test file,
 * by test id. Kept small and stable so a user can commit it and review its
 * diffs: one object, keys sorted, whole milliseconds. Pure.
 *
 * ```json
 * { "version": 1, "files": { "test/cart.test.ts": 1840, "test/csv.test.ts": 95 } }
 * ```
 */
import { createHash } from 'node:crypto';

export const TIMINGS_VERSION = 1;

/** Test id → duration in ms. */
export type Durations = ReadonlyMap<string, number>;

export type ParsedTimings = { readonly ok: true; readonly durations: Durations } | { readonly ok: false; readonly reason: string };

function isDuration(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}

/**
 * A file that does not parse is refused as a whole, never read in part:
 * every node sees the same text, so every node then refuses it alike.
 */
export function parseTimings(text: string): ParsedTimings {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    return { ok: false, reason: `it is not JSON (${(error as Error).message})` };
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return { ok: false, reason: 'it is not a JSON object' };
  const { version, files } = data as { version?: unknown; files?: unknown };
  if (version !== TIMINGS_VERSION) return { ok: false, reason: `its version is ${JSON.stringify(version)}, not ${TIMINGS_VERSION}` };
  if (typeof files !== 'object' || files === null || Array.isArray(files)) return { ok: false, reason: '"files" is not an object of test ids' };
  const durations = new Map<string, number>();
  for (const [id, ms] of Object.entries(files)) {
    if (!isDuration(ms)) return { ok: false, reason: `the duration of "${id}" is ${JSON.stringify(ms)}, not a number of milliseconds` };
    durations.set(id, ms);
  }
  return { ok: true, durations };
}

/** Sorted keys and a trailing newline, so a committed file changes only where durations did. */
export function serializeTimings(durations: Durations): string {
  const files: Record<string, number> = {};
  for (const id of [...durations.keys()].sort()) files[id] = Math.round(durations.get(id)!);
  return `${JSON.stringify({ version: TIMINGS_VERSION, files }, null, 2)}\n`;
}

/**
 * The file's entries with this node's measurements laid over them. Files
 * this node did not run keep their earlier duration (another node ran them),
 * so a file committed from any node stays complete.
 */
export function mergeTimings(previous: Durations, measured: Durations): Map<string, number> {
  const merged = new Map(previous);
  for (const [id, ms] of measured) if (isDuration(ms)) merged.set(id, ms);
  return merged;
}

/** Short content digest, printed in the fallback warning so nodes that read different files show it. */
export function timingsDigest(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 12);
}
