/** Public types of `jest-fast-ci/server`. */
import type { PartSpec } from '../protocol/parts';
import type { FileEntry, Message, RunSummary } from '../protocol/types';

/** What the first node to join said about the build (query params of its socket). */
export interface RunMeta {
  branch?: string;
  commit?: string;
  commit_msg?: string;
  /** JSON-decoded when it parses, else the raw string. */
  author?: unknown;
}

export interface NodeSnapshot {
  index: number;
  /** Its CI shard index, when its join said (FAST_CI_NODE_INDEX or the CI's own). */
  shard?: number;
  /** How people know it: "node <shard>", else "node <index>" (nodeLabel). */
  label: string;
  nodeId?: string;
  workers?: number;
  connected: boolean;
  left: boolean;
  /** Gone past the reconnect grace without coming back; its files went back to the queue. */
  lost: boolean;
  /** A `deq` from this node is held by the server, waiting for work or for the end of the run. */
  waiting: boolean;
  filesReported: number;
}

export interface FrameRecord {
  /** Index of the node whose channel sent the frame; null when the socket had not joined this run. */
  nodeIndex: number | null;
  /** The socket's query parameters, secret_key removed. */
  query: Record<string, string>;
  message: Message;
}

export interface RunSnapshot {
  runKey: string;
  buildId: string;
  /** Position in `secretKeys` of the key that owns the run (never the key itself). */
  keyIndex: number;
  state: 'waiting' | 'running' | 'finished';
  meta: RunMeta;
  nodes: NodeSnapshot[];
  /** As received in `enq`. */
  enqueued: Record<string, FileEntry>;
  /** First result wins. A retry run's results kept from an earlier attempt say which (`attempt`) and, from another build's run, which build (`from`). */
  results: Record<string, { entry: FileEntry; nodeIndex: number; attempt?: number; from?: string }>;
  /** Files run in parts (the parts extension): each part, what it runs, and its result once it has one. */
  parts?: Record<string, PartSpec & { result?: { entry: FileEntry; nodeIndex: number } }>;
  queued: string[];
  /** test id -> node index */
  leased: Record<string, number>;
  /** With retries on: test id -> the nodes on which it failed before its recorded result (or before now). */
  retries: Record<string, number[]>;
  /** With retries on: each retried file's failed attempts (the node and the entry it sent). */
  failedAttempts: Record<string, Array<{ node: number; entry: FileEntry }>>;
  summary: RunSummary;
  /** Present when the server was started with `recordFrames`. */
  frames?: FrameRecord[];
  /** Things the server ignored on purpose, e.g. a duplicate result. */
  warnings: string[];
}

/** Counters for monitoring (and the tests that check them). */
export interface ServerStats {
  /** Open orchestrator sockets. */
  readonly sockets: number;
  /** Runs held (finished ones until evicted). */
  readonly runs: number;
  /** Journal records written to the data dir so far. */
  readonly journalRecords: number;
  /** fdatasync calls so far: records written in one turn of the event loop share one per journal. */
  readonly journalSyncs: number;
}

export interface OrchestratorServer {
  /** The FAST_CI_SERVER value, e.g. 'ws://127.0.0.1:54321'. */
  readonly url: string;
  /** The dashboard's address, e.g. 'http://127.0.0.1:54321/'; undefined with `dashboard: false`. */
  readonly dashboardUrl: string | undefined;
  /** `http://host:port/metrics` on the metrics listener (`metricsPort`); undefined without one. */
  readonly metricsUrl: string | undefined;
  readonly port: number;
  /** All runs (all keys) currently held. */
  runs(): RunSnapshot[];
  stats(): ServerStats;
  /** The run with this build id (the first created, if several keys use it). @param runKey default 'jest' */
  run(buildId: string, runKey?: string): RunSnapshot | undefined;
  /** Resolves when the run with this build id is finished (every enqueued file has a result). */
  waitForRun(buildId: string, runKey?: string): Promise<RunSnapshot>;
  /**
   * Stops listening and closes every socket. Safe to call twice.
   * @param code close code sent to clients: 1001 (going away, default) or 1012 (service restart); never 1000, so clients come back.
   */
  close(code?: 1001 | 1012): Promise<void>;
}
