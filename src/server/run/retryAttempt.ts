/**
 * A retried CI job (the `retry_run` extension): when a join makes the run a
 * new attempt of its build, and what the run's nodes are told of it (pure).
 */
import { failingFiles } from '../../protocol/quarantine';
import type { RetryRunReply, RetryRunRequest } from '../../protocol/types';
import type { AttemptSeed } from './runEvents';
import { enqueuedCount, isEnqueued, isFinished, isKept, summaryOf, type RunState } from './runState';
import { finishIfComplete } from './steps';
import type { Transition } from './Transition';

/**
 * The earlier attempt a join's `retry_run.earlier` names, as the host found
 * it in the store before deciding: the newest one known, or why none is.
 */
export type EarlierAttempt = { of: string; attempt: number; seed: AttemptSeed } | { of: string; missing: string };

/**
 * A join that says it may be a retried CI job (`retry_run`) makes this run
 * a new attempt of its build when it is one:
 * - the same build id again (GitLab's and Buildkite's retried jobs): a run
 *   that finished with failures (or at all, with `mode: 'all'`) queues its
 *   failed files (or all) again, unless the CI said this job is a first
 *   attempt (`again: false`: a late node of the run, which must not turn it
 *   green by re-running); the attempt takes the run key's quarantine as
 *   it is now (read by the host before deciding), when it was read;
 * - a new build id naming earlier ones (GitHub's `<run_id>-<attempt>`): the
 *   first join, before anything is enqueued, takes over the newest earlier
 *   attempt the host found, or records that none was found (every file
 *   then runs, and every node says why).
 */
export function retrySameRun(tr: Transition, request: RetryRunRequest, quarantine?: Array<[string, string]>): void {
  const { state, ctx } = tr;
  if (!isFinished(state) || request.again === false) return;
  // A file that failed only in quarantined tests runs again too: a node with FAST_CI_QUARANTINE=report fails on it.
  if (request.mode === 'failed' && failingFiles(summaryOf(state), 'report') === 0) return;
  tr.emit({ t: 'attempt', attempt: state.attempt + 1, of: state.identity.buildId, mode: request.mode, ...(quarantine === undefined ? {} : { quarantine }), at: ctx.now });
}

/** The second case above, once the joining node is a node of the run (so a run complete at once counts it). */
export function continueEarlier(tr: Transition, request: RetryRunRequest, earlier: EarlierAttempt | undefined): void {
  const { state, ctx } = tr;
  const named = request.earlier ?? [];
  if (named.length === 0 || isEnqueued(state) || state.retryOf !== undefined) return;
  const attempt = request.attempt ?? 2;
  if (request.mode === 'all') return tr.emit({ t: 'attempt', attempt, of: named[0]!, mode: 'all', at: ctx.now });
  if (earlier === undefined || 'missing' in earlier) {
    const missing = earlier?.missing ?? `the orchestrator does not know build ${named[0]!}`;
    return tr.emit({ t: 'attempt', attempt, of: earlier?.of ?? named[0]!, mode: 'failed', missing, at: ctx.now });
  }
  // The CI's number when it has one (GitHub's attempt 3 may follow an attempt 2 this server ran as a new run), never below the earlier's.
  const next = Math.max(request.attempt ?? 0, earlier.attempt + 1);
  tr.emit({ t: 'attempt', attempt: next, of: earlier.of, mode: 'failed', seed: earlier.seed, at: ctx.now });
  // Nothing failed in the earlier attempt: this one is complete (and passed) at once.
  finishIfComplete(tr);
}

/** What a node of a retry run is told about it. */
export function retryReply(state: RunState): RetryRunReply | undefined {
  const retry = state.retryOf;
  if (retry === undefined) return undefined;
  if (retry.missing !== undefined) return { status: 'unknown', of: retry.of, reason: retry.missing };
  if (retry.mode === 'all') return { status: 'all', of: retry.of, attempt: state.attempt };
  let kept = 0;
  for (const result of state.results.values()) if (isKept(state, result)) kept += 1;
  const files = enqueuedCount(state);
  return { status: 'retry', of: retry.of, attempt: state.attempt, rerun: files - kept, kept, files };
}

/** A job the CI says is a retry joined a run that finished without failures: nothing to re-run, and it says so. */
export function nothingToRetry(state: RunState): RetryRunReply | undefined {
  if (!isFinished(state) || failingFiles(summaryOf(state), 'report') > 0) return undefined;
  const files = enqueuedCount(state);
  return { status: 'retry', of: state.identity.buildId, attempt: state.attempt + 1, rerun: 0, kept: files, files };
}
