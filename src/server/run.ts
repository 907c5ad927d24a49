/**
 * One run's behaviour: what each orchestrator event does, when a deq is held
 * and when it is answered, lease expiry, the reconnect grace, and who
 * enqueues. The books are kept by RunLedger, decisions come from the pure
 * helpers in scheduling.ts, and the only I/O goes through the NodeLinks the
 * connections hand in, the journal, and timers.
 */
import debug from 'debug';
import { Events, Extensions, ReplyEvents, RunStates } from '../protocol/constants';
import type { DeqResponse, FileEntry, FilesResponse, JoinPayload, JoinResponse, Message, RunSummary } from '../protocol/types';
import type { Member, NodeLink, RunNode } from './node-table';
import { parseDeqPayload, parseEnqPayload, parseEnqRetry, parseFilesPayload, quoteId } from './payloads';
import { RunLedger } from './run-ledger';
import type { RunJournal, RunRecord } from './run-records';
import { decideDeq } from './scheduling';
import type { FrameRecord, RunMeta, RunSnapshot } from './types';

const log = debug('jest-fast-ci:server:run');

/** Caps on what a run keeps for inspection, so a noisy client cannot grow it without bound. */
const MAX_WARNINGS = 1_000;
const MAX_FRAMES = 100_000;
/** Most files a node may say it runs at once (its workers are capped at 1024). */
const MAX_RUNNING = 1_024;

export interface RunIdentity {
  readonly keyHash: string;
  readonly runKey: string;
  readonly buildId: string;
}

export interface RunSettings {
  readonly leaseTimeoutMs: number;
  readonly reconnectGraceMs: number;
  readonly maxFilesPerRun: number;
  readonly maxNodesPerRun: number;
  /** A file whose holder died while running it this many times is recorded as failed. */
  readonly maxCrashesPerFile: number;
  readonly recordFrames: boolean;
  /** Last known seconds of a file from earlier runs (duration history). */
  readonly history?: (id: string) => number | undefined;
  readonly journal?: RunJournal;
  /** Every record as it is appended, with or without a journal: live views (the dashboard) follow the run through it. */
  readonly onRecord?: (record: RunRecord) => void;
  readonly onFinish?: (run: Run) => void;
}

export interface Reply {
  status: 'ok' | 'error';
  response: Record<string, unknown>;
}

export type Respond = (reply: Reply) => void;

const OK: Reply = { status: 'ok', response: {} };
const STALE: Reply = { status: 'error', response: { reason: 'this channel was replaced by a newer join of the same node_id' } };

function deqReply(tests: string[], summary?: RunSummary): Reply {
  const response: DeqResponse = summary === undefined ? { event: ReplyEvents.deq, tests } : { event: ReplyEvents.deq, tests, summary };
  return { status: 'ok', response: response as unknown as Record<string, unknown> };
}

/** Tells the node which failures in its results are not final (they will run again elsewhere). */
function withRetry(reply: Reply, retry: string[]): Reply {
  return retry.length === 0 ? reply : { ...reply, response: { ...reply.response, retry } };
}

export class Run {
  readonly identity: RunIdentity;
  readonly meta: RunMeta;
  #settings: RunSettings;
  #ledger: RunLedger;
  #held: Array<{ member: Member; respond: Respond }> = [];
  #timers = new Set<NodeJS.Timeout>();
  /** Index of the node expected to send `enq`; -1 means the next node to join. */
  #enqueuer = 0;
  #summary: RunSummary | undefined;
  #finishedAt: number | undefined;
  #idleSince: number | undefined = Date.now();
  #warnings: string[] = [];
  #droppedWarnings = 0;
  #frames: FrameRecord[] = [];

  constructor(identity: RunIdentity, meta: RunMeta, settings: RunSettings) {
    this.identity = identity;
    this.meta = meta;
    this.#settings = settings;
    this.#ledger = new RunLedger(settings.history);
  }

  get isFinished(): boolean {
    return this.#finishedAt !== undefined;
  }

  /** The recorded results (first result wins), by test id. */
  get results(): ReadonlyMap<string, { readonly entry: FileEntry; readonly nodeIndex: number }> {
    return this.#ledger.results;
  }

  /** The node may still send something: it has neither left nor been lost past its grace. */
  isNodeActive(index: number): boolean {
    const node = this.#ledger.nodes.get(index);
    return node !== undefined && !node.left && !node.lost;
  }

  /** The index of the node that joined with this node_id. */
  nodeIndexOf(nodeId: string): number | undefined {
    return this.#ledger.nodes.all().find(node => node.nodeId === nodeId)?.index;
  }

  get finishedAt(): number | undefined {
    return this.#finishedAt;
  }

  /** Since when no node is connected; undefined while one is. */
  get idleSince(): number | undefined {
    return this.#idleSince;
  }

  get label(): string {
    return `${this.identity.runKey}-${this.identity.buildId}`;
  }

  /** Why this join cannot be taken, if it cannot: a run does not grow without bound. */
  refuseJoin(payload: JoinPayload): string | undefined {
    if (this.#ledger.nodes.knows(payload.node_id) || this.#ledger.nodes.size < this.#settings.maxNodesPerRun) return undefined;
    return `this run already has ${this.#ledger.nodes.size} nodes (limit ${this.#settings.maxNodesPerRun}); a rejoin must send its node_id`;
  }

  join(payload: JoinPayload, link: NodeLink): { member: Member; response: JoinResponse } {
    const { node, replaced } = this.#ledger.nodes.join(payload.node_id, payload.workers, link);
    // The node's old channel (if any) can no longer be answered.
    this.#held = this.#held.filter(h => h.member.index !== node.index);
    replaced?.supersede();
    this.#idleSince = undefined;
    this.#append({ t: 'join', index: node.index, nodeId: node.nodeId, workers: node.workers });
    log('%s: node %d joined%s', this.label, node.index, node.generation > 0 ? ' again' : '');
    const state = this.#ledger.isEnqueued ? RunStates.running : RunStates.waiting;
    const response: JoinResponse = { event: ReplyEvents.join, node_index: node.index, state };
    // A rejoining node learns what it holds: the reply to a deq sent just
    // before the connection dropped may never have reached it.
    if (node.generation > 0) response.leases = this.#ledger.heldBy(node);
    if (this.isFinished) response.finished = true;
    response.extensions = Object.values(Extensions);
    return { member: { index: node.index, generation: node.generation }, response };
  }

  /** After the join reply went out: hand the enqueue duty to this node if nobody holds it. */
  afterJoin(member: Member): void {
    const node = this.#ledger.nodes.current(member);
    if (node === undefined || this.#ledger.isEnqueued || this.#enqueuer !== -1) return;
    this.#enqueuer = node.index;
    node.link?.push(Events.enqRequest, {});
  }

  enq(member: Member, payload: unknown): Reply {
    const node = this.#ledger.nodes.current(member);
    if (node === undefined) return STALE;
    const parsed = parseEnqPayload(payload, this.#settings.maxFilesPerRun);
    if (!parsed.ok) return { status: 'error', response: { reason: parsed.reason } };
    const tests = parsed.value;
    // An empty run would finish at once and pass every node that joins it, having run nothing.
    if (Object.keys(tests).length === 0) {
      return { status: 'error', response: { reason: 'enq has no tests: a run needs at least one test file (did this node find any?)' } };
    }
    const retry = parseEnqRetry(payload);
    if (!retry.ok) return { status: 'error', response: { reason: retry.reason } };
    if (this.#ledger.isEnqueued) {
      const differ = this.#ledger.differenceFrom(tests);
      if (differ > 0) {
        return { status: 'error', response: { reason: `enq differs from the tests already enqueued for this run in ${differ} test ids` } };
      }
      this.#warn(`duplicate enq from node ${node.index} ignored (same tests)`);
      return OK;
    }
    this.#append(retry.value > 0 ? { t: 'enq', tests, retry: retry.value } : { t: 'enq', tests });
    this.#ledger.enqueue(tests, retry.value);
    log('%s: %d files enqueued by node %d', this.label, this.#ledger.enqueuedCount, node.index);
    if (this.#ledger.isComplete) this.#finish();
    // Every node that joined as waiting is told to come, the enqueuer too: the
    // reference clients send deq only when told (issue 16). Ours ignores the
    // push while its own deq is on the way, so no batch is asked for twice.
    else this.#dispatch();
    return OK;
  }

  deq(member: Member, payload: unknown, reply: Respond): void {
    const node = this.#ledger.nodes.current(member);
    if (node === undefined) return reply(STALE);
    const parsed = parseDeqPayload(payload, this.#settings.maxFilesPerRun);
    if (!parsed.ok) return reply({ status: 'error', response: { reason: parsed.reason } });
    const retried = Object.entries(parsed.value).filter(([id, entry]) => this.#record(node, id, entry)).map(([id]) => id);
    if (!this.isFinished && this.#ledger.isComplete) this.#finish();
    // Whenever this deq is answered, now or after a hold, it says which failures were not final.
    const respond: Respond = r => reply(withRetry(r, retried));
    if (retried.length > 0) this.#dispatch(node.index);

    const queued = this.#ledger.hasWorkFor(node) ? this.#ledger.queued : 0;
    switch (decideDeq({ finished: this.isFinished, queued, holdsLeases: this.#ledger.holdsAny(node) })) {
      case 'done':
        return respond(deqReply([], this.#summary));
      case 'batch':
        return respond(this.#batchFor(node));
      case 'drain':
        return respond(deqReply([]));
      case 'hold':
        this.#held.push({ member, respond });
    }
  }

  /**
   * `leave`. Its payload may carry results (extension: a node that bails
   * reports its last files as it leaves); they are recorded like a `deq`'s.
   */
  leave(member: Member, payload: unknown = {}): Reply {
    const node = this.#ledger.nodes.current(member);
    if (node === undefined) return STALE;
    const parsed = parseDeqPayload(payload, this.#settings.maxFilesPerRun);
    if (!parsed.ok) return { status: 'error', response: { reason: parsed.reason.replace(/^deq /, 'leave ') } };
    const retried = Object.entries(parsed.value).filter(([id, entry]) => this.#record(node, id, entry)).map(([id]) => id);
    if (!this.isFinished && this.#ledger.isComplete) this.#finish();
    node.left = true;
    this.#append({ t: 'leave', node: node.index });
    // A held deq of a leaving node would keep its client's push timer alive.
    this.#held = this.#held.filter(h => (h.member.index === node.index ? (h.respond(deqReply([])), false) : true));
    this.#takeBack(this.#ledger.takeFrom(node), `node ${node.index} left`);
    this.#dispatch();
    if (node.index === this.#enqueuer) this.#handOverEnqueue();
    return withRetry(OK, retried);
  }

  /** `running` (extension): the files the node runs now; if it dies, they are the suspects. */
  running(member: Member, payload: unknown): Reply {
    const node = this.#ledger.nodes.current(member);
    if (node === undefined) return STALE;
    const tests = (payload as { tests?: unknown } | null)?.tests;
    if (!Array.isArray(tests) || tests.length > MAX_RUNNING || !tests.every(id => typeof id === 'string')) {
      return { status: 'error', response: { reason: `running payload must be {"tests": [<test id>, ...]} with at most ${MAX_RUNNING} ids` } };
    }
    node.running = tests as string[];
    return OK;
  }

  /** `files` (extension): whether the run's file set is the one the node found, or the run's ids to compare. */
  checkFiles(member: Member, payload: unknown): Reply {
    if (this.#ledger.nodes.current(member) === undefined) return STALE;
    const parsed = parseFilesPayload(payload);
    if (!parsed.ok) return { status: 'error', response: { reason: parsed.reason } };
    if (!this.#ledger.isEnqueued) return { status: 'error', response: { reason: "the run's files are not enqueued yet; send files after the first deq reply" } };
    const match = parsed.value.count === this.#ledger.enqueuedCount && parsed.value.digest === this.#ledger.fileSetDigest;
    const response: FilesResponse = match ? { event: ReplyEvents.files, match } : { event: ReplyEvents.files, match, tests: this.#ledger.enqueuedIds() };
    return { status: 'ok', response: response as unknown as Record<string, unknown> };
  }

  /** The channel is gone (socket closed, phx_leave, duplicate join): keep the leases for the grace period. */
  detach(member: Member): void {
    const node = this.#ledger.nodes.current(member);
    if (node === undefined) return;
    node.link = undefined;
    this.#held = this.#held.filter(h => h.member.index !== node.index);
    if (!this.#ledger.nodes.hasConnected()) this.#idleSince = Date.now();
    if (!node.left && !this.isFinished) this.#startGrace(node);
    // A file to retry that waited for this node to be elsewhere can now go to a waiting node.
    this.#dispatch();
  }

  record(nodeIndex: number | null, query: Record<string, string>, message: Message): void {
    if (this.#settings.recordFrames && this.#frames.length < MAX_FRAMES) this.#frames.push({ nodeIndex, query, message });
  }

  /** Cancels every timer; held deqs are dropped (their sockets are closing). */
  dispose(): void {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    this.#held = [];
  }

  /** Rebuilds the run from its journal after a restart. Nodes come back disconnected, within their grace. */
  restore(records: readonly RunRecord[]): void {
    for (const record of records) {
      this.#ledger.replay(record);
      if (record.t === 'finish') this.#finishedAt = record.at;
    }
    this.#ledger.rebuildQueue();
    if (this.isFinished) {
      this.#summary = this.#ledger.summary();
      this.#ledger.clearLeases();
      return;
    }
    for (const node of this.#ledger.nodes.all()) if (!node.left) this.#startGrace(node);
    for (const { node, fence, ids } of this.#ledger.leaseBatches()) this.#expireLater(node, ids, fence);
    if (!this.#ledger.isEnqueued) this.#enqueuer = -1;
  }

  snapshot(keyIndex: number): RunSnapshot {
    const { runKey, buildId } = this.identity;
    const books = this.#ledger.snapshot();
    for (const { member } of this.#held) books.nodes[member.index]!.waiting = true;
    const snapshot: RunSnapshot = {
      runKey,
      buildId,
      keyIndex,
      state: this.isFinished ? 'finished' : this.#ledger.isEnqueued ? 'running' : 'waiting',
      meta: this.meta,
      ...books,
      summary: this.#summary ?? books.summary,
      warnings: this.#droppedWarnings > 0 ? [...this.#warnings, `… ${this.#droppedWarnings} more`] : [...this.#warnings],
    };
    if (this.#settings.recordFrames) snapshot.frames = [...this.#frames];
    return snapshot;
  }

  /** Records one result; true when it was a failure to retry on another node instead. */
  #record(node: RunNode, id: string, entry: FileEntry): boolean {
    if (this.#ledger.wasRetriedFrom(node, id, entry)) return true;
    if (this.#ledger.isRetryable(node, id, entry)) {
      this.#append({ t: 'retry', node: node.index, id });
      const attempt = this.#ledger.retryLater(node, id);
      this.#warn(`retrying ${quoteId(id)}: it failed on node ${node.index} (failure ${attempt} of at most ${this.#ledger.retry + 1} runs)`);
      return true;
    }
    // Journal before the ledger: a result must be on disk before the reply acknowledges it.
    if (this.#ledger.holder(id) === node.index) this.#append({ t: 'result', node: node.index, id, entry });
    const ignored = this.#ledger.record(node, id, entry);
    if (ignored !== undefined) this.#warn(ignored);
    return false;
  }

  #batchFor(node: RunNode): Reply {
    const { ids, fence } = this.#ledger.leaseBatch(node);
    this.#append({ t: 'lease', node: node.index, ids });
    this.#expireLater(node.index, ids, fence);
    return deqReply(ids);
  }

  #expireLater(node: number, ids: string[], fence: number): void {
    const expire = (): void => this.#takeBack(this.#ledger.takeExpired(ids, fence), `lease of node ${node} expired`);
    this.#setTimer(expire, this.#settings.leaseTimeoutMs);
  }

  /** Returns files to the front of the queue, then puts them to work. */
  #takeBack(ids: string[], why: string): void {
    if (ids.length === 0 || this.isFinished) return;
    this.#append({ t: 'requeue', ids });
    this.#ledger.requeue(ids);
    this.#warn(`${ids.length} files requeued: ${why}`);
    this.#dispatch();
  }

  /** Answers held deqs first, then asks idle connected nodes to come for the rest. */
  #dispatch(except?: number): void {
    if (this.#ledger.queued === 0) return;
    this.#held = this.#held.filter(({ member, respond }) => {
      const node = this.#ledger.nodes.current(member);
      if (node === undefined) return false;
      // A file to retry may be meant for another node: this one keeps waiting.
      if (!this.#ledger.hasWorkFor(node)) return true;
      respond(this.#batchFor(node));
      return false;
    });
    if (this.#ledger.queued === 0) return;
    const waiting = new Set(this.#held.map(h => h.member.index));
    for (const node of this.#ledger.nodes.available()) {
      // A node holding files comes back with a deq on its own.
      if (node.index === except || waiting.has(node.index) || this.#ledger.holdsAny(node) || !this.#ledger.hasWorkFor(node)) continue;
      node.link?.push(Events.deqRequest, {});
    }
  }

  #startGrace(node: RunNode): void {
    node.cancelGrace?.();
    node.cancelGrace = this.#setTimer(() => {
      node.cancelGrace = undefined;
      node.lost = true;
      const suspects = this.#ledger.suspectsOf(node);
      this.#append({ t: 'lost', node: node.index, suspects });
      this.#failCrashers(this.#ledger.noteCrash(node.index, suspects));
      this.#takeBack(this.#ledger.takeFrom(node), `node ${node.index} did not come back`);
      // With one node fewer, a file to retry may now go to a node that was waiting.
      this.#dispatch();
      if (node.index === this.#enqueuer) this.#handOverEnqueue();
    }, this.#settings.reconnectGraceMs);
  }

  /**
   * Files that took down every node that ran them, `maxCrashesPerFile`
   * times: recorded as failed (they would kill each node in turn and the run
   * would never end) and never handed out again.
   */
  #failCrashers(suspects: ReadonlyMap<string, readonly number[]>): void {
    for (const [id, nodes] of suspects) {
      if (nodes.length < this.#settings.maxCrashesPerFile) continue;
      this.#append({ t: 'crashed', id, nodes: [...nodes] });
      this.#ledger.recordCrashed(id, nodes);
      this.#warn(`${quoteId(id)} recorded as failed: nodes ${nodes.join(', ')} died while running it`);
    }
    if (!this.isFinished && this.#ledger.isComplete) this.#finish();
  }

  /** The enqueuing node is gone before its enq landed: ask the lowest-index connected node (issue 5). */
  #handOverEnqueue(): void {
    if (this.#ledger.isEnqueued) return;
    const next = this.#ledger.nodes.available()[0];
    this.#enqueuer = next === undefined ? -1 : next.index;
    if (next === undefined) return;
    log('%s: asking node %d to enqueue', this.label, next.index);
    next.link?.push(Events.enqRequest, {});
  }

  #finish(): void {
    const at = Date.now();
    this.#append({ t: 'finish', at });
    this.#finishedAt = at;
    this.#summary = this.#ledger.summary();
    const held = this.#held;
    this.dispose();
    for (const node of this.#ledger.nodes.all()) node.cancelGrace = undefined;
    this.#ledger.clearLeases();
    log('%s: finished (%d files)', this.label, this.#summary.files);
    for (const { respond } of held) respond(deqReply([], this.#summary));
    this.#settings.onFinish?.(this);
  }

  #setTimer(fn: () => void, ms: number): () => void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      // Timers run outside any request's try/catch: a failing journal write
      // (disk full) must cost a warning, not the whole server.
      try {
        fn();
      } catch (error) {
        this.#warn(`internal error in a timer: ${(error as Error).message}`);
      }
    }, ms);
    // Timers never keep a process alive: an embedding test or CLI decides when to exit.
    timer.unref();
    this.#timers.add(timer);
    return () => {
      clearTimeout(timer);
      this.#timers.delete(timer);
    };
  }

  #append(record: RunRecord): void {
    this.#settings.journal?.append(record);
    this.#settings.onRecord?.(record);
  }

  #warn(message: string): void {
    log('%s: %s', this.label, message);
    if (this.#warnings.length < MAX_WARNINGS) this.#warnings.push(message);
    else this.#droppedWarnings += 1;
  }
}
