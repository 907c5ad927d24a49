/**
 * Types of what travels on the wire. Field names keep the protocol's
 * snake_case, and only the types of src/protocol declare such names: code
 * elsewhere reads the fields of these types, but its own types are
 * camelCase (an answer is put into wire shape by protocol/replies.ts).
 */

/** One part of a file, as a `deq` reply names it. */
export interface PartSpec {
  /** The test id of the whole file. */
  readonly file: string;
  /** This part runs exactly these tests (full names: ancestor titles and title, space-joined). */
  readonly tests?: readonly string[];
  /** The last part: every test except these. */
  readonly except?: readonly string[];
}

/** A test of a file and its last known seconds. */
export type KnownTest = readonly [name: string, seconds: number];

export type TestStatus = 'pending' | 'passed' | 'failed';

export interface TestCounters {
  failed: number;
  passed: number;
  pending: number;
}

/** One test case inside a file entry, under a numbered key "1".."N". */
export interface CaseEntry {
  status: TestStatus;
  /** Seconds. */
  run_time: number;
  description?: string;
  /** Formatted failure message, on failed cases only. */
  failure_message?: string;
}

/**
 * One test file, as sent in `enq` (pending) and in `deq` (results).
 * The numbered keys "1".."N" hold the cases; the reference server requires at
 * least "1" even in a pending entry. The reference clients may put a group
 * of cases there instead (no `status`, its cases under numbered keys again:
 * Minitest's test class, RSpec's example groups); the server takes both.
 */
export interface FileEntry {
  file_status: TestStatus;
  test_count: number;
  test_counters: TestCounters;
  /** Seconds. Results only; also the last known duration in `enq` (extension). */
  run_time?: number;
  /** Extension: set on a failed file whose failure was not in a test (syntax error, missing module). */
  failure_message?: string;
  [caseNumber: string]: CaseEntry | TestStatus | number | TestCounters | string | undefined;
}

/**
 * Map of test id (posix path relative to rootDir) to entry. Ids are data:
 * build such maps with Object.create(null) (or use a Map), never `{}`, so an
 * id like `__proto__` is a key like any other.
 */
export type EntryMap = Record<string, FileEntry>;

/** `enq` payload. */
export interface EnqPayload {
  tests: EntryMap;
  /** Extension: how many times a failed file is run again on another node (FAST_CI_RETRY). Default 0. */
  retry?: number;
  /** Extension (`backups`): false when no file of the run may run on two nodes at once (FAST_CI_BACKUPS=off). */
  backups?: false;
  /** Extension (`parts`): how many nodes the run will have, when the CI says (sizes the parts of slow files). */
  nodes?: number;
  /** Extension (`bail`): the run stops once this many files failed in it (Jest's `--bail[=n]`). */
  bail?: number;
  /** Extension (`parts`): false when no file may be split (FAST_CI_SPLIT=off); or the files that must not be. */
  split?: false;
  no_split?: string[];
}

/** Join params (extension fields; the reference clients send `{}`). */
export interface JoinPayload {
  /** Stable id of this node process, so a reconnect keeps its identity and leases. */
  node_id?: string;
  /** How many files this node runs at once; sizes its batches. */
  workers?: number;
  /** Extension: what this client can be handed beyond whole files (`parts`: parts of a file, see protocol/parts.ts). */
  accepts?: string[];
  /** Extension (`retry_run`): how this node's CI job relates to earlier attempts of its build. */
  retry_run?: RetryRunRequest;
  /**
   * Extension (`warm`): the test ids this node's Jest cache is warm for (it
   * ran them before; the record travels with the cache). The server hands
   * the node those first. A server without the extension ignores the key.
   */
  warm?: string[];
  /** Extension (`shard`): this node's 0-based CI shard index (FAST_CI_NODE_INDEX or the CI's own), so logs and the page name it as the CI does. */
  shard?: number;
}

/** `failed`: a retry re-runs the earlier attempt's failed files (and those with no result); `all`: everything, as a new run. */
export type RetryRunMode = 'failed' | 'all';

/**
 * Join payload extension `retry_run` (FAST_CI_RETRY_RUN and the CI's retry
 * signals). A server that does not know it ignores it.
 */
export interface RetryRunRequest {
  mode: RetryRunMode;
  /**
   * Whether this CI job is a retry of a job of the same build id: `true` (the
   * CI says so), `false` (the CI says it is a first attempt: a late node of
   * the run, never a retry), absent (the CI cannot say; GitLab without
   * CI_JOB_RETRY_COUNT). A run that finished is retried unless this is false.
   */
  again?: boolean;
  /** Build ids of the earlier attempts of this build, newest first (GitHub: `<run_id>-<n-1>` … `<run_id>`). */
  earlier?: string[];
  /** The CI's attempt number of this job (1: the first), for messages. */
  attempt?: number;
}

/**
 * Join reply extension `retry_run`: this run is a retry of an earlier
 * attempt, and what that means for it. Sent to every node of such a run.
 */
export type RetryRunReply =
  /** Files of the earlier attempt that failed or had no result run again; the rest stand. */
  | { status: 'retry'; of: string; attempt: number; rerun: number; kept: number; files: number }
  /** The server does not know the earlier attempt (evicted, restarted without a data dir): every file runs. */
  | { status: 'unknown'; of: string; reason: string }
  /** FAST_CI_RETRY_RUN=all: every file runs again. */
  | { status: 'all'; of: string; attempt: number };

/** The run as a join reply states it: files enqueued (`running`) or not yet. */
export type JoinState = 'running' | 'waiting';

export interface JoinResponse {
  event: 'join';
  node_index: number;
  state: JoinState;
  /** Extension, on a rejoin by node_id: the files this node holds without a result. */
  leases?: string[];
  /** Extension (`parts`): the ids in `leases` that are parts of a file. */
  parts?: Record<string, PartSpec>;
  /**
   * Extension: the run had already finished when this node joined (its
   * `deq` will get `[]` and the summary). `state` still says `running`, so a
   * reference client asks and is told it is done.
   */
  finished?: boolean;
  /** Extension: the extensions this server offers (see Extensions); absent from servers that offer none. */
  extensions?: string[];
  /** Extension (`retry_run`): this run is a retry of an earlier attempt of its build. */
  retry_run?: RetryRunReply;
  /** Extension (`run_url`): the run's page, from the server's public address (`serve --public-url`). */
  run_url?: string;
  /** Extension (`quarantine`): the run key's quarantined tests, as [file id, full name]. */
  quarantine?: Array<[string, string]>;
}

/** Whole-run figures, sent with the final (empty) `deq` reply. Extension. */
export interface RunSummary {
  files: number;
  passed: number;
  failed: number;
  pending: number;
  tests: number;
  nodes: number;
  /** Files recorded per node index. */
  files_by_node: Record<string, number>;
  /** Extension, with retries on: files that failed and then passed on another node. Absent when none. */
  flaky?: string[];
  /** Extension: files recorded as failed because the nodes that ran them died (a crash, process.exit, out of memory). Absent when none. */
  crashed?: string[];
  /** Extension (`quarantine`): files that failed in the run's quarantined tests only; counted in `files`, not in `failed` (they do not fail the run). Absent when none. */
  quarantined?: string[];
  /** Extension (`retry_run`): files whose result stands from an earlier attempt (not counted in files_by_node). Absent when none. */
  kept?: number;
  /** Extension (`bail`): the run stopped before every file ran: `bail` (its --bail count of failed files was reached) or `cancelled` (by its key, through the API). Absent when it ran to the end. */
  stopped?: 'bail' | 'cancelled';
  /** Extension (`bail`): files the run never ran because it stopped. Absent when none. */
  not_run?: number;
}

export interface DeqResponse {
  event: 'deq';
  tests: string[];
  /** Extension: present on the final empty reply once every file has a result. */
  summary?: RunSummary;
  /**
   * Extension, with retries on: files whose failure in this request's results
   * is not final, because they will run again on another node. Absent when none.
   */
  retry?: string[];
  /** Extension (`parts`): the ids in `tests` that are parts of a file, and what each runs. Only to clients that accept parts. */
  parts?: Record<string, PartSpec>;
}

/**
 * `files` payload (extension): the file set this node found, as a count and
 * a digest (fileSetDigest), so every node can check that the run covers it.
 */
export interface FilesPayload {
  count: number;
  /** Hex sha256 of the sorted test ids joined by "\n". */
  digest: string;
}

/** `files` reply (extension): `match`, or the run's ids so the node can say what differs. */
export interface FilesResponse {
  event: 'files';
  match: boolean;
  /** The run's test ids, sorted; present when they do not match. */
  tests?: string[];
}

export type Ref = string | number | null;

/** A decoded Phoenix message, whichever serializer carried it. */
export interface Message {
  /** Echoed verbatim: the reference clients send integers, phoenix.js strings. */
  join_ref: Ref;
  ref: Ref;
  topic: string;
  event: string;
  payload: unknown;
}
