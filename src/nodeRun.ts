/**
 * What this node did, shared by the runner (which knows) and the reporter
 * (which tells). Both live in Jest's main process but may be loaded through
 * different module paths (the runner through the project's transform), so
 * the record hangs off a global symbol rather than a module variable.
 */
import type { RetryRunReply, RunSummary } from './protocol/types';

/** `unloaded`: the runner module itself failed to load, so no file ran through it. */
export type NodeMode = 'orchestrated' | 'local' | 'fallback' | 'failed' | 'unloaded' | 'merged';

export interface NodeRun {
  mode: NodeMode;
  /** Why the node ran locally, in fallback, failed, or the runner did not load, for the reporter's line. */
  reason?: string;
  nodeIndex?: number;
  /** How this node is named (nodeLabel: its CI shard index when known, else nodeIndex). */
  label?: string;
  /** The run's page, when the server gave one (`serve --public-url`). */
  runUrl?: string;
  /** The run key's quarantine as the server gave it (its size), and what FAST_CI_QUARANTINE says to do. */
  quarantine?: { readonly tests: number; readonly mode: 'on' | 'report' | 'off' };
  buildId?: string;
  /** Redacted. */
  server?: string;
  /** Files in the whole run, when known (node 0 enqueued them, or the final summary). */
  runFiles?: number;
  summary?: RunSummary;
  /** This run is a retry of an earlier attempt of its build (the server's word in the join reply). */
  retryRun?: RetryRunReply;
  /** Whole-run reporting: files of other nodes handed to Jest, or why the whole run could not be reported. */
  /**
   * Whole-run reporting: files of other nodes handed to Jest, why the run
   * could not be had, bytes sent and received, and how long after this
   * node's last file the other nodes' outcomes were all handed to Jest.
   */
  wholeRun?: { readonly replayed: number; readonly unavailable?: string; readonly bytesUp?: number; readonly bytesDown?: number; readonly afterLastFileMs?: number };
  /** Paths of the files handed to Jest for other nodes (whole-run reporting): not this node's share. */
  readonly replayedPaths?: Set<string>;
  /**
   * Where this node's time went: `startupMs` from the process's start to
   * its first file (Jest's start, connecting, joining, the first batch);
   * then, per worker, time running files (`busyMs`) and time without one
   * (`idleMs`: waiting for files, or for the run's end).
   */
  timing?: { readonly startupMs: number; readonly busyMs: number; readonly idleMs: number; readonly workers: number };
  /** Parts of split files this node ran (test-level splitting), and of how many files. */
  parts?: { readonly parts: number; readonly files: number };
  /** `jest-fast-ci merge`: blob files read, files with no outcome in them, outcomes of files Jest did not find, ids found twice. */
  merged?: { readonly files: number; readonly missing: number; readonly unknown: readonly string[]; readonly duplicates: number };
}

const KEY = Symbol.for('jest-fast-ci.nodeRun');

type Holder = { [KEY]?: NodeRun };

export function setNodeRun(run: NodeRun): void {
  (globalThis as Holder)[KEY] = run;
}

export function getNodeRun(): NodeRun | undefined {
  return (globalThis as Holder)[KEY];
}
