/**
 * What is where in one run: the enqueued files, the queue, the leases, the
 * results and the nodes. No timers and no I/O; Run decides when things
 * happen, the ledger keeps the books (and rebuilds them from the journal).
 */
import { crashedEntry } from '../protocol/entries';
import { fileSetDigest } from '../protocol/fileSet';
import type { EntryMap, FileEntry, RunSummary } from '../protocol/types';
import { LeaseTable } from './lease-table';
import { NodeTable, type RunNode } from './node-table';
import { quoteId } from './payloads';
import type { RunRecord } from './run-records';
import { batchSize, expectedDurations, longestFirst } from './scheduling';
import { summarize } from './summary';
import type { RunSnapshot } from './types';
import { WorkQueue } from './work-queue';

export type LedgerSnapshot = Pick<RunSnapshot, 'nodes' | 'enqueued' | 'results' | 'queued' | 'leased' | 'retries' | 'summary'>;

export class RunLedger {
  readonly nodes = new NodeTable();
  #history: ((id: string) => number | undefined) | undefined;
  #leases = new LeaseTable();
  #queue = new WorkQueue();
  #enqueued: EntryMap | undefined;
  #enqueuedCount = 0;
  #fileSetDigest: string | undefined;
  #durations = new Map<string, number>();
  #results = new Map<string, { entry: FileEntry; nodeIndex: number }>();
  /** Retries allowed per file after a failure (the enq's `retry`). */
  #retry = 0;
  /** Nodes on which a file failed before; it is not handed to them again while another node can take it. */
  #failedOn = new Map<string, number[]>();
  /** Nodes that died while (probably) running the file. */
  #crashedOn = new Map<string, number[]>();
  /** Files recorded as failed because they crashed the nodes that ran them. */
  #crashed = new Set<string>();

  constructor(history?: (id: string) => number | undefined) {
    this.#history = history;
  }

  get isEnqueued(): boolean {
    return this.#enqueued !== undefined;
  }

  get enqueuedCount(): number {
    return this.#enqueuedCount;
  }

  /** fileSetDigest of the enqueued ids, computed once. */
  get fileSetDigest(): string | undefined {
    if (this.#enqueued === undefined) return undefined;
    return (this.#fileSetDigest ??= fileSetDigest(Object.keys(this.#enqueued)));
  }

  enqueuedIds(): string[] {
    return Object.keys(this.#enqueued ?? {}).sort();
  }

  get results(): ReadonlyMap<string, { readonly entry: FileEntry; readonly nodeIndex: number }> {
    return this.#results;
  }

  get queued(): number {
    return this.#queue.length;
  }

  /** Every enqueued file has a result. */
  get isComplete(): boolean {
    return this.#enqueued !== undefined && this.#results.size === this.#enqueuedCount;
  }

  /** Fills the queue, longest expected duration first. */
  enqueue(tests: EntryMap, retry = 0): void {
    this.#enqueued = tests;
    this.#retry = retry;
    this.#enqueuedCount = Object.keys(tests).length;
    this.#durations = expectedDurations(tests, this.#history);
    this.#queue.fill(longestFirst(Object.keys(tests), this.#durations));
  }

  /** How many ids differ between `tests` and what is enqueued. */
  differenceFrom(tests: EntryMap): number {
    const enqueued = this.#enqueued ?? {};
    const ids = Object.keys(tests);
    // Own keys only: ids like "toString" must not match Object.prototype.
    const shared = ids.filter(id => Object.hasOwn(enqueued, id)).length;
    return ids.length - shared + (this.#enqueuedCount - shared);
  }

  holder(id: string): number | undefined {
    return this.#leases.holder(id);
  }

  holdsAny(node: RunNode): boolean {
    return this.#leases.hasAny(node.index);
  }

  /** The files `node` holds without a result yet. */
  heldBy(node: RunNode): string[] {
    return this.#leases.heldBy(node.index);
  }

  /** A failed result from the file's holder that still has a retry left: it is not final. */
  isRetryable(node: RunNode, id: string, entry: FileEntry): boolean {
    return entry.file_status === 'failed' && this.#leases.holder(id) === node.index && (this.#failedOn.get(id)?.length ?? 0) < this.#retry;
  }

  /**
   * The same failure sent again by a node it was already retried from (the
   * reply that said so was lost with a connection): it is still not final.
   */
  wasRetriedFrom(node: RunNode, id: string, entry: FileEntry): boolean {
    return (
      entry.file_status === 'failed' &&
      (this.#failedOn.get(id)?.includes(node.index) ?? false) &&
      this.#leases.holder(id) !== node.index &&
      this.#results.get(id)?.nodeIndex !== node.index
    );
  }

  /** Notes the failure and puts the file back at the front of the queue, for another node. */
  retryLater(node: RunNode, id: string): number {
    const failedOn = [...(this.#failedOn.get(id) ?? []), node.index];
    this.#failedOn.set(id, failedOn);
    this.#leases.release(id);
    this.#queue.putFront([id]);
    return failedOn.length;
  }

  get retry(): number {
    return this.#retry;
  }

  /** Some queued file may go to `node` now. */
  hasWorkFor(node: RunNode): boolean {
    if (this.#failedOn.size === 0) return this.#queue.length > 0;
    return this.#queue.some(this.#mayRun(node));
  }

  /**
   * A file that failed on `node` goes elsewhere while another node is there
   * to take it; with nobody else left, `node` retries it itself.
   */
  #mayRun(node: RunNode): (id: string) => boolean {
    const others = this.nodes.available().some(n => n.index !== node.index);
    return id => !others || !(this.#failedOn.get(id)?.includes(node.index) ?? false);
  }

  /**
   * The files `node` was running when it died: those it last said it was
   * running (the `running` extension) that it still holds; for a node that
   * never says, the one file it held, if it held only one. Nothing rather
   * than a guess: an innocent file blamed twice would be failed.
   */
  suspectsOf(node: RunNode): string[] {
    const held = this.#leases.heldBy(node.index);
    if (node.running !== undefined) return node.running.filter(id => this.#leases.holder(id) === node.index);
    return held.length === 1 ? held : [];
  }

  /** `node` died running `ids`: returns each with every node it has taken down so far. */
  noteCrash(node: number, ids: readonly string[]): Map<string, number[]> {
    const suspects = new Map<string, number[]>();
    for (const id of ids) {
      const nodes = [...(this.#crashedOn.get(id) ?? []), node];
      this.#crashedOn.set(id, nodes);
      suspects.set(id, nodes);
    }
    return suspects;
  }

  /** Records a file as failed because it crashed `nodes`, the last of which is its result's node. */
  recordCrashed(id: string, nodes: readonly number[]): void {
    this.#leases.release(id);
    this.#results.set(id, { entry: crashedEntry(nodes), nodeIndex: nodes[nodes.length - 1]! });
    this.#crashed.add(id);
  }

  /** Records the result if `node` holds the file now (first result wins); otherwise says why it was ignored. */
  record(node: RunNode, id: string, entry: FileEntry): string | undefined {
    const holder = this.#leases.holder(id);
    if (holder === node.index) {
      this.#results.set(id, { entry, nodeIndex: node.index });
      this.#leases.release(id);
      node.filesReported += 1;
      return undefined;
    }
    const why =
      this.#enqueued === undefined || !Object.hasOwn(this.#enqueued, id)
        ? 'not a test of this run'
        : this.#results.has(id)
          ? `already has a result from node ${this.#results.get(id)!.nodeIndex}`
          : holder === undefined
            ? 'not leased to it (its lease was taken back)'
            : `leased to node ${holder}`;
    return `ignored result for ${quoteId(id)} from node ${node.index}: ${why}`;
  }

  /** Leases the next batch to `node`; the fence identifies this lease for its expiry. */
  leaseBatch(node: RunNode): { ids: string[]; fence: number } {
    const size = batchSize(this.#queue.length, this.nodes.available().length, node.workers);
    const ids = this.#failedOn.size === 0 ? this.#queue.takeFront(size) : this.#queue.takeFront(size, this.#mayRun(node));
    return { ids, fence: this.#leases.lease(ids, node.index) };
  }

  takeExpired(ids: readonly string[], fence: number): string[] {
    return this.#leases.takeExpired(ids, fence);
  }

  takeFrom(node: RunNode): string[] {
    return this.#leases.takeFrom(node.index);
  }

  /** Back to the front of the queue, longest first. */
  requeue(ids: readonly string[]): void {
    this.#queue.putFront(longestFirst(ids, this.#durations));
  }

  /** Current leases by batch, for expiry timers after a restore. */
  leaseBatches(): Array<{ node: number; fence: number; ids: string[] }> {
    return this.#leases.batches();
  }

  clearLeases(): void {
    this.#leases.clear();
  }

  summary(): RunSummary {
    const summary = summarize(this.#results.entries(), this.nodes.size, this.#failedOn);
    if (this.#crashed.size > 0) summary.crashed = [...this.#crashed].sort();
    return summary;
  }

  /** Applies one journal record (restart); call rebuildQueue() after the last. */
  replay(r: RunRecord): void {
    switch (r.t) {
      case 'join':
        if (this.nodes.get(r.index) === undefined) this.nodes.add(r.nodeId, r.workers);
        return;
      case 'enq':
        if (this.#enqueued === undefined) this.enqueue(r.tests, r.retry);
        return;
      case 'retry':
        this.#failedOn.set(r.id, [...(this.#failedOn.get(r.id) ?? []), r.node]);
        this.#leases.release(r.id);
        return;
      case 'lease':
        this.#leases.lease(r.ids, r.node);
        return;
      case 'result': {
        const node = this.nodes.get(r.node);
        if (node !== undefined && !this.#results.has(r.id)) {
          this.#results.set(r.id, { entry: r.entry, nodeIndex: r.node });
          this.#leases.release(r.id);
          node.filesReported += 1;
        }
        return;
      }
      case 'requeue':
        for (const id of r.ids) this.#leases.release(id);
        return;
      case 'leave': {
        const node = this.nodes.get(r.node);
        if (node !== undefined) node.left = true;
        return;
      }
      case 'lost': {
        const node = this.nodes.get(r.node);
        if (node === undefined) return;
        node.lost = true;
        this.noteCrash(node.index, r.suspects ?? []);
        this.#leases.takeFrom(node.index);
        return;
      }
      case 'crashed':
        if (!this.#results.has(r.id)) this.recordCrashed(r.id, r.nodes);
        return;
      default:
        return;
    }
  }

  /** After replay: queue what has neither a result nor a lease. */
  rebuildQueue(): void {
    if (this.#enqueued === undefined) return;
    const leased = this.#leases.toRecord();
    const open = Object.keys(this.#enqueued).filter(id => !this.#results.has(id) && !Object.hasOwn(leased, id));
    this.#queue.fill(longestFirst(open, this.#durations));
  }

  snapshot(): LedgerSnapshot {
    return {
      nodes: this.nodes.all().map(n => ({
        index: n.index,
        ...(n.nodeId === undefined ? {} : { nodeId: n.nodeId }),
        ...(n.workers === undefined ? {} : { workers: n.workers }),
        connected: n.link !== undefined,
        left: n.left,
        lost: n.lost,
        waiting: false,
        filesReported: n.filesReported,
      })),
      enqueued: { ...this.#enqueued },
      results: Object.fromEntries(this.#results),
      queued: this.#queue.toArray(),
      leased: this.#leases.toRecord(),
      retries: Object.fromEntries(this.#failedOn),
      summary: this.summary(),
    };
  }
}
