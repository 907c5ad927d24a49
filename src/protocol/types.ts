/**
 * Types of what travels on the wire. Field names keep the protocol's
 * snake_case; nothing outside src/protocol should need to spell them.
 */
import type { PartSpec } from './parts';

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
  /** Extension (`parts`): false when no file may be split (FAST_CI_SPLIT=off); or the files that must not be. */
  split?: false;
  no_split?: string[];
}

/** `deq` payload: the bare results map of the batch just run (empty on the first `deq`). */
export type DeqPayload = EntryMap;

/** Join params (extension fields; the reference clients send `{}`). */
export interface JoinPayload {
  /** Stable id of this node process, so a reconnect keeps its identity and leases. */
  node_id?: string;
  /** How many files this node runs at once; sizes its batches. */
  workers?: number;
  /** Extension: what this client can be handed beyond whole files (`parts`: parts of a file, see protocol/parts.ts). */
  accepts?: string[];
}

export type RunState = 'running' | 'waiting';

export interface JoinResponse {
  event: 'join';
  node_index: number;
  state: RunState;
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

export interface ErrorResponse {
  reason: string;
}

export interface ReplyPayload<R = unknown> {
  status: 'ok' | 'error';
  response: R;
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
