/**
 * What the dashboard's JSON API and its event streams carry (docs/api.md).
 * The page renders exactly these; tools read the same.
 */
import type { RunSummary, TestStatus } from '../../protocol/types';
import type { RunPhase } from '../run/runState';
import type { Span, SpanOutcome } from '../run/Timeline';
import type { RunMeta } from '../types';

/** Who is looking: one key's runs (signed in with that key), or every run (the view token). */
export type Scope = { readonly kind: 'key'; readonly keyHash: string } | { readonly kind: 'all' };

/** One run in the list. */
export interface RunListItem {
  runKey: string;
  buildId: string;
  /** View token only: the position of the run's key among the server's keys (-1: a key no longer configured). */
  keyIndex?: number;
  state: RunPhase;
  meta: RunMeta;
  /** Server time (ms) the run was opened. */
  startedAt: number | null;
  /** Server time (ms) the run finished; null while it runs. */
  finishedAt: number | null;
  /** Files enqueued (0 until node 0 enqueues). */
  total: number;
  /** Files with a recorded result. */
  done: number;
  /** Files whose recorded result is a failure. */
  failed: number;
  /** Nodes that joined. */
  nodeCount: number;
}

/** A file's recorded result, trimmed to what the page shows. */
export interface ResultView {
  node: number;
  status: TestStatus;
  /** Seconds, as measured on the node; null when it sent none. */
  runTime: number | null;
  tests: number;
  failedTests: number;
  /** The first lines of the first failure (colour codes removed). */
  failure?: string;
  /** Every failing test (at most 20), in full. */
  failures?: FailureView[];
  /** It failed in the run's quarantined tests only: it does not fail the run. */
  quarantined?: true;
}

/** One failing test: its full name and its whole text (Jest's message, the code frame, the stack without node_modules frames). */
export interface FailureView {
  test: string;
  text: string;
}

/** A failed attempt of a file that ran again on another node (retries on): where, and how it failed. */
export interface AttemptView {
  node: number;
  failures: FailureView[];
}

/** One file on one node, from its lease to its result (or to when it was taken back); `to` null while in hand. */
export type SpanView = Span;
export type { SpanOutcome };

export interface NodeView {
  index: number;
  /** How people know it: "node <CI shard>", else "node <index>". */
  label: string;
  connected: boolean;
  left: boolean;
  lost: boolean;
  /** A `deq` of this node is held by the server (at the time of the snapshot). */
  waiting: boolean;
  workers: number | null;
  filesReported: number;
}

/** One run, in full. */
export interface RunView extends RunListItem {
  /** Server time of this view (ms): the page measures the growth of files in hand from it. */
  now: number;
  /** The run's quarantined tests, as it opened (or its retried job began): [file id, full name]. */
  quarantine: Array<[string, string]>;
  /** Lease and result times are known for the whole run (false for a run journaled before its events carried times, or one past its span cap: order without times). */
  timed: boolean;
  nodes: NodeView[];
  /** By test id, in the order they were recorded. */
  results: Record<string, ResultView>;
  /** Files handed out without a result yet: test id → node index. */
  leased: Record<string, number>;
  /** Files not handed out yet. */
  queued: number;
  /** With retries on: test id → nodes it failed on before its recorded result (or before now). */
  retries: Record<string, number[]>;
  /** With retries on: each retried file's failed attempts, with their failures (a flaky file's failure is here). */
  failedAttempts: Record<string, AttemptView[]>;
  /** Each file's time on each node, oldest first (empty when not `timed` and nothing ran since). */
  spans: SpanView[];
  /** The run's summary once finished. */
  summary: RunSummary | null;
  /** What the server ignored or requeued, most recent last. */
  warnings: string[];
  /** Other attempts of the same build (GitHub re-runs: `<id>` and `<id>-<attempt>`), same key, run key and commit. */
  attempts: RunListItem[];
}

/** A change to one run, derived from one of its records; `at` is when the run decided it (server ms). */
export type RunDelta =
  | { t: 'join'; at: number; node: number; label: string; workers: number | null }
  | { t: 'enq'; at: number; total: number }
  | { t: 'lease'; at: number; node: number; ids: string[] }
  /** `crashed`: recorded as failed because the nodes running it died (not reported by a node). */
  | { t: 'result'; at: number; id: string; result: ResultView; crashed?: true }
  | { t: 'retry'; at: number; node: number; id: string; failures?: FailureView[] }
  /** A note of the server's (a requeue, a retry, an ignored result), as it is made. */
  | { t: 'warn'; at: number; message: string }
  | { t: 'requeue'; at: number; ids: string[] }
  | { t: 'leave'; at: number; node: number }
  | { t: 'lost'; at: number; node: number }
  | { t: 'finish'; at: number; summary: RunSummary | null };

/** A file's durations and outcomes over recent runs of its run key. */
export interface FileHistoryView {
  id: string;
  /** Seconds, oldest first: the last durations recorded when runs of this key and run key finished. */
  durations: number[];
  /** This run's duration of the file, when it has a result. */
  thisRun: number | null;
  /** The file's last runs (at most 20), oldest first: how it ended (`flaky`: failed, then passed on another node), the run's build id, when it finished (server ms), its commit. */
  runs: Array<{ status: 'passed' | 'failed' | 'pending' | 'flaky'; buildId: string; at: number; commit: string | null }>;
  /** The run that began the file's current streak of failures (its newest runs all failed); null when its newest run did not fail. */
  failingSince: { buildId: string; at: number } | null;
  /** The oldest run in which it was flaky, among those kept; null when it was not. */
  flakySince: { buildId: string; at: number } | null;
}

/** A flaky test of a key and run key: it failed and passed on one commit (docs/flaky.md). */
export interface FlakyTestView {
  file: string;
  /** Its full name (describe blocks and title). */
  name: string;
  /** Runs it ran in, failed in, and flaked in (failed while it passed on the same commit), within the window. */
  runs: number;
  failures: number;
  flakes: number;
  /** flakes / runs. */
  rate: number;
  since: { buildId: string; at: number } | null;
  last: { buildId: string; at: number } | null;
  /** Branches it flaked on. */
  branches: string[];
  /** Its quarantine, if it is quarantined. */
  quarantine: { by: string; reason: string; at: number; expiresAt: number | null } | null;
  /** Its last 20 outcomes, oldest first: a retry in a run is a second outcome of that run (`attempt` 2). */
  recent: Array<{ status: 'passed' | 'failed'; buildId: string; at: number; node: string; attempt: number; commit: string | null }>;
}

/** The flaky tests of a key and run key, most flakes first. */
export interface FlakyView {
  runKey: string;
  now: number;
  /** What the test history keeps: each test's last `runs` outcomes, none older than `days`. */
  window: { runs: number; days: number };
  /** At most 500. */
  tests: FlakyTestView[];
  /** Flaky tests in all. */
  total: number;
}

/** A run key's quarantined tests and the audit of changes (docs/flaky.md). */
export interface QuarantineView {
  runKey: string;
  tests: Array<{ file: string; name: string; by: string; reason: string; at: number; expiresAt: number | null; cleanRuns: number | null; clean: number }>;
  /** Newest last: who or what changed the quarantine, and why. */
  audit: Array<{ at: number; action: 'add' | 'remove' | 'expire' | 'release' | 'refuse'; file: string; name: string; by: string; why: string }>;
}
