/**
 * Where the timings file is: the durations a fallback split uses, and that
 * the node records at the end of a run (docs/configuration.md, "Fallback").
 */
import * as path from 'node:path';
import { ErrorCodes, FastCiError } from '../errors';

/** Default file name, in Jest's rootDir: a user may commit it. */
export const DEFAULT_TIMINGS_FILE = '.jest-fast-ci-timings.json';

export interface TimingsSetting {
  /** Absolute path; undefined when the setting is `off`. */
  readonly timingsFile: string | undefined;
  /**
   * `setting` when FAST_CI_TIMINGS_FILE or the runner option names the file:
   * the node then records durations on every run, not only on a CI.
   */
  readonly timingsFileSource: 'setting' | 'default';
}

/**
 * `value` is FAST_CI_TIMINGS_FILE, else the runner option. A relative path is
 * taken from `rootDir`, as every node of a run has the same checkout layout.
 */
export function resolveTimingsSetting(value: unknown, rootDir: string): TimingsSetting {
  if (value !== undefined && typeof value !== 'string') {
    throw new FastCiError(ErrorCodes.CONFIG, `The timingsFile runner option must be a path or "off", got ${JSON.stringify(value)}.`);
  }
  const named = value?.trim() || undefined;
  if (named === undefined) return { timingsFile: path.resolve(rootDir, DEFAULT_TIMINGS_FILE), timingsFileSource: 'default' };
  if (named === 'off') return { timingsFile: undefined, timingsFileSource: 'setting' };
  return { timingsFile: path.resolve(rootDir, named), timingsFileSource: 'setting' };
}
