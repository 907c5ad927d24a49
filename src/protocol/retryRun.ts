/**
 * The `retry_run` extension: a retried CI job re-runs what failed in the
 * earlier attempt of its build instead of everything. The join payload says
 * how the job relates to earlier attempts (RetryRunRequest); the join reply
 * says what the server made of it (RetryRunReply). Both checked here (pure):
 * the server by parseRetryRunRequest, the client by parseRetryRunReply.
 */
import { buildIdProblem } from './topic';
import type { RetryRunReply, RetryRunRequest } from './types';

/** Most earlier build ids a join may name: the server looks each up until one is known. */
export const MAX_EARLIER_ATTEMPTS = 20;
/** Highest attempt number taken (GitHub allows 50 re-runs; a larger number is noise). */
export const MAX_ATTEMPT = 1_000;

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function isCount(value: unknown, max = Number.MAX_SAFE_INTEGER): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= max;
}

/** The join payload's `retry_run`, or the reason it is refused. */
export function parseRetryRunRequest(value: unknown): { ok: true; value: RetryRunRequest } | { ok: false; reason: string } {
  const fail = (reason: string) => ({ ok: false as const, reason: `retry_run ${reason}` });
  if (!isObject(value)) return fail('must be an object {"mode": "failed" | "all", ...}');
  const { mode, again, earlier, attempt } = value;
  if (mode !== 'failed' && mode !== 'all') return fail('mode must be "failed" or "all"');
  const request: RetryRunRequest = { mode };
  if (again !== undefined && again !== null) {
    if (typeof again !== 'boolean') return fail('again must be true or false');
    request.again = again;
  }
  if (earlier !== undefined && earlier !== null) {
    if (!Array.isArray(earlier) || earlier.length > MAX_EARLIER_ATTEMPTS) return fail(`earlier must be a list of at most ${MAX_EARLIER_ATTEMPTS} build ids`);
    for (const id of earlier) {
      const problem = typeof id === 'string' ? buildIdProblem(id) : 'a build id must be a string';
      if (problem !== undefined) return fail(`earlier: ${problem}`);
    }
    request.earlier = earlier as string[];
  }
  if (attempt !== undefined && attempt !== null) {
    if (!isCount(attempt, MAX_ATTEMPT) || attempt < 1) return fail(`attempt must be an integer from 1 to ${MAX_ATTEMPT}`);
    request.attempt = attempt;
  }
  return { ok: true, value: request };
}

/** The join reply's `retry_run`, or undefined when it is missing or not understood (the node then runs as in any run). */
export function parseRetryRunReply(value: unknown): RetryRunReply | undefined {
  if (!isObject(value) || typeof value.of !== 'string') return undefined;
  const { status, of } = value;
  if (status === 'retry' && isCount(value.attempt) && isCount(value.rerun) && isCount(value.kept) && isCount(value.files)) {
    return { status, of, attempt: value.attempt, rerun: value.rerun, kept: value.kept, files: value.files };
  }
  if (status === 'unknown' && typeof value.reason === 'string') return { status, of, reason: value.reason };
  if (status === 'all' && isCount(value.attempt)) return { status, of, attempt: value.attempt };
  return undefined;
}
