/**
 * A run's transitions: what a join, an enq, a deq, a leave, a socket that
 * went away or the passing of time (the sweep) does to a run, as the events
 * it causes and the reply it gets. Each transition reads the state, and
 * applies every event it decides through `Transition.emit` (so a later step
 * of the same request sees the earlier ones); the host persists the events
 * and only then replies. Decisions depend only on the state, the request
 * and the context (the time, this server, which servers are alive), so a
 * transition that lost a race with another server is simply decided again.
 * No I/O, no timers.
 */
import { Extensions, ReplyEvents, RunStates } from '../../protocol/constants';
import type { KnownTest, PartSpec } from '../../protocol/parts';
import type { DeqResponse, EntryMap, FileEntry, FilesResponse, JoinPayload, JoinResponse, RetryRunReply, RetryRunRequest, RunSummary } from '../../protocol/types';
import { parseDeqPayload, parseEnqBackups, parseEnqPayload, parseEnqRetry, parseEnqSplit, parseFilesPayload, quoteId } from '../../protocol/requests';
import type { AttemptSeed, RunEvent } from './runEvents';
import { apply, enqueuedCount, isComplete, isEnqueued, isFinished, isKept, isUnit, resultOf, summaryOf, type NodeState, type RunState } from './runState';
import { batchSize, decideDeq, planParts } from './scheduling';

export interface MachineSettings {
  readonly leaseTimeoutMs: number;
  readonly reconnectGraceMs: number;
  /** A gone node's files are copied to idle nodes this long after it went (before its grace ends). */
  readonly handoffAfterMs: number;
  /** A file running this much longer than twice its expected duration is copied to an idle node. */
  readonly stragglerSlackMs: number;
  readonly maxFilesPerRun: number;
  readonly maxNodesPerRun: number;
  readonly maxCrashesPerFile: number;
  /** A file is split into parts only when it is expected to take at least this long (a part repeats the file's start-up). */
  readonly splitMinSeconds: number;
}

/** What the server knows of a run's files before it enqueues them. */
export interface EnqHistory {
  /** Expected seconds of each file (the client's, else the history's, else the median). */
  durations(tests: EntryMap): Map<string, number>;
  /** The tests of files from an earlier run, with their seconds (the `parts` extension splits by them). */
  readonly tests: ReadonlyMap<string, readonly KnownTest[]>;
}

/** Who and when a transition is decided for. */
export interface MachineContext {
  readonly now: number;
  readonly settings: MachineSettings;
  /** This server's instance id: channels attached here are this server's to answer. */
  readonly instance: string;
  /** Whether a server instance is still up (its channels still count as connected). */
  isAlive(instance: string): boolean;
  /** Since when a dead instance is known to be gone (its channels' grace starts then). */
  deadSince(instance: string): number;
}

/** The channel a request came on: the node and the generation it joined as. */
export interface Member {
  readonly index: number;
  readonly generation: number;
}

export interface Reply {
  status: 'ok' | 'error';
  response: Record<string, unknown>;
}

export const OK: Reply = { status: 'ok', response: {} };
export const STALE: Reply = { status: 'error', response: { reason: 'this channel was replaced by a newer join of the same node_id' } };
export const LEFT: Reply = { status: 'error', response: { reason: 'this node sent leave; join again to get more files' } };
/** Most files a node may say it runs at once (its workers are capped at 1024). */
export const MAX_RUNNING = 1_024;

function error(reason: string): Reply {
  return { status: 'error', response: { reason } };
}

export function deqReply(tests: string[], summary?: RunSummary, parts?: Record<string, PartSpec>): Reply {
  const response: DeqResponse = summary === undefined ? { event: ReplyEvents.deq, tests } : { event: ReplyEvents.deq, tests, summary };
  if (parts !== undefined) response.parts = parts;
  return { status: 'ok', response: response as unknown as Record<string, unknown> };
}

/** What the parts among `ids` run, or undefined when none is a part. */
function partsAmong(state: RunState, ids: readonly string[]): Record<string, PartSpec> | undefined {
  if (state.parts.size === 0) return undefined;
  const found = ids.filter(id => state.parts.has(id));
  return found.length === 0 ? undefined : Object.fromEntries(found.map(id => [id, state.parts.get(id)!]));
}

/** Tells the node which failures in its results are not final (they will run again elsewhere). */
export function withRetry(reply: Reply, retry: readonly string[]): Reply {
  return retry.length === 0 ? reply : { ...reply, response: { ...reply.response, retry: [...retry] } };
}

/** One transition in progress: the events it has decided, each already applied to the state. */
export class Transition {
  readonly events: RunEvent[] = [];
  readonly state: RunState;
  readonly ctx: MachineContext;

  constructor(state: RunState, ctx: MachineContext) {
    this.state = state;
    this.ctx = ctx;
  }

  emit(event: RunEvent): void {
    apply(this.state, event);
    this.events.push(event);
  }

  warn(message: string): void {
    this.emit({ t: 'warn', message });
  }
}

// ---- Liveness: one place says whether a node is there. --------------------

/** The node's channel is joined on a server that is up. */
export function isConnected(node: NodeState, ctx: MachineContext): boolean {
  return node.attachedTo !== undefined && ctx.isAlive(node.attachedTo);
}

/** Connected and not left: may be handed files. */
export function isAvailable(node: NodeState, ctx: MachineContext): boolean {
  return !node.left && isConnected(node, ctx);
}

/**
 * Since when the node has had no channel, or undefined while it has one. A
 * node with no record of its channel (a journal written before channels
 * were recorded) is gone since this server started.
 */
function goneSince(node: NodeState, ctx: MachineContext): number | undefined {
  if (node.attachedTo === undefined) return node.detachedAt ?? ctx.deadSince('');
  return ctx.isAlive(node.attachedTo) ? undefined : ctx.deadSince(node.attachedTo);
}

/** The node, if `member` is its current channel and that channel is on this server. */
export function current(state: RunState, member: Member, ctx: MachineContext): NodeState | undefined {
  const node = state.nodes[member.index];
  return node !== undefined && node.generation === member.generation && node.attachedTo === ctx.instance ? node : undefined;
}

function available(state: RunState, ctx: MachineContext): NodeState[] {
  return state.nodes.filter(node => isAvailable(node, ctx));
}

// ---- Scheduling queries. ----------------------------------------------------

/**
 * A file that failed on `node` goes elsewhere while another node is there
 * to take it; with nobody else left, `node` retries it itself.
 */
function mayRun(state: RunState, node: NodeState, ctx: MachineContext): (id: string) => boolean {
  // Parts go only to clients that said they can run them.
  const canRun = node.acceptsParts || state.parts.size === 0 ? () => true : (id: string) => !state.parts.has(id);
  if (state.failedOn.size === 0) return canRun;
  const others = available(state, ctx).some(n => n.index !== node.index);
  return id => canRun(id) && (!others || !(state.failedOn.get(id)?.includes(node.index) ?? false));
}

/** Some queued file may go to `node` now. */
export function hasWorkFor(state: RunState, node: NodeState, ctx: MachineContext): boolean {
  if (state.queue.length === 0) return false;
  return (state.failedOn.size === 0 && (node.acceptsParts || state.parts.size === 0)) || state.queue.some(mayRun(state, node, ctx));
}

// ---- Transitions. ------------------------------------------------------------

/** Why this join cannot be taken, if it cannot: a run does not grow without bound. */
export function refuseJoin(state: RunState, payload: JoinPayload, settings: MachineSettings): string | undefined {
  const nodes = state.nodes.length - state.attemptFirstNode;
  if ((payload.node_id !== undefined && state.byNodeId.has(payload.node_id)) || nodes < settings.maxNodesPerRun) return undefined;
  return `this run already has ${nodes} nodes (limit ${settings.maxNodesPerRun}); a rejoin must send its node_id`;
}

/**
 * The earlier attempt a join's `retry_run.earlier` names, as the host found
 * it in the store before deciding: the newest one known, or why none is.
 */
export type EarlierAttempt = { of: string; attempt: number; seed: AttemptSeed } | { of: string; missing: string };

/**
 * A channel joins: a new node (a join without node_id, or an unknown one)
 * or an old one back (its node_id). Returns the member the channel speaks
 * as, and the reply. When nobody has been asked to enqueue, this node is.
 */
export function join(tr: Transition, payload: JoinPayload, earlier?: EarlierAttempt): { member: Member; response: JoinResponse } {
  const { state, ctx } = tr;
  // A rejoin (a known node_id) is a node of the run coming back, never a retried job.
  const retryRun = payload.node_id !== undefined && state.byNodeId.has(payload.node_id) ? undefined : payload.retry_run;
  if (retryRun !== undefined) retrySameRun(tr, retryRun);
  let node = payload.node_id === undefined ? undefined : state.byNodeId.get(payload.node_id);
  const rejoin = node !== undefined;
  if (node === undefined) {
    tr.emit({ t: 'join', index: state.nodes.length, nodeId: payload.node_id, workers: payload.workers, at: ctx.now });
    node = state.nodes[state.nodes.length - 1]!;
  }
  const parts = payload.accepts?.includes(Extensions.parts) === true;
  tr.emit({ t: 'attach', node: node.index, instance: ctx.instance, workers: payload.workers, ...(parts ? { parts } : {}), at: ctx.now });
  if (retryRun !== undefined) continueEarlier(tr, retryRun, earlier);
  const response: JoinResponse = { event: ReplyEvents.join, node_index: node.index, state: isEnqueued(state) ? RunStates.running : RunStates.waiting };
  // A rejoining node learns what it holds: the reply to a deq sent just
  // before the connection dropped may never have reached it.
  if (rejoin) {
    response.leases = state.leases.heldBy(node.index);
    const held = partsAmong(state, response.leases);
    if (held !== undefined) response.parts = held;
  }
  if (isFinished(state)) response.finished = true;
  response.extensions = Object.values(Extensions);
  const retry = retryReply(state) ?? (retryRun?.again === true ? nothingToRetry(state) : undefined);
  if (retry !== undefined) response.retry_run = retry;
  if (!isEnqueued(state) && needsEnqueuer(state, node, ctx)) tr.emit({ t: 'enqRequest', node: node.index });
  return { member: { index: node.index, generation: node.generation }, response };
}

/**
 * A join that says it may be a retried CI job (`retry_run`) makes this run
 * a new attempt of its build when it is one:
 * - the same build id again (GitLab's and Buildkite's retried jobs): a run
 *   that finished with failures (or at all, with `mode: 'all'`) queues its
 *   failed files (or all) again, unless the CI said this job is a first
 *   attempt (`again: false`: a late node of the run, which must not turn it
 *   green by re-running);
 * - a new build id naming earlier ones (GitHub's `<run_id>-<attempt>`): the
 *   first join, before anything is enqueued, takes over the newest earlier
 *   attempt the host found, or records that none was found (every file
 *   then runs, and every node says why).
 */
function retrySameRun(tr: Transition, request: RetryRunRequest): void {
  const { state, ctx } = tr;
  if (!isFinished(state) || request.again === false) return;
  if (request.mode === 'failed' && summaryOf(state).failed === 0) return;
  tr.emit({ t: 'attempt', attempt: state.attempt + 1, of: state.identity.buildId, mode: request.mode, at: ctx.now });
}

/** The second case above, once the joining node is a node of the run (so a run complete at once counts it). */
function continueEarlier(tr: Transition, request: RetryRunRequest, earlier: EarlierAttempt | undefined): void {
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
function nothingToRetry(state: RunState): RetryRunReply | undefined {
  if (!isFinished(state) || summaryOf(state).failed > 0) return undefined;
  const files = enqueuedCount(state);
  return { status: 'retry', of: state.identity.buildId, attempt: state.attempt + 1, rerun: 0, kept: files, files };
}

/**
 * Nobody will enqueue unless this node does: nobody was asked, or the node
 * asked has no channel (its server restarted or died; it may be back
 * within its grace, and then both enqueue: the second enq is ignored).
 */
function needsEnqueuer(state: RunState, joining: NodeState, ctx: MachineContext): boolean {
  if (state.enqueuer === -1) return true;
  const asked = state.nodes[state.enqueuer];
  return asked !== undefined && asked !== joining && !isConnected(asked, ctx);
}

/** `enq`: the run's files, once. `durations` gives each file's expected seconds (the client's, else the history's). */
export function enq(tr: Transition, member: Member, payload: unknown, history: EnqHistory): Reply {
  const { state, ctx } = tr;
  const node = current(state, member, ctx);
  if (node === undefined) return STALE;
  const parsed = parseEnqPayload(payload, ctx.settings.maxFilesPerRun);
  if (!parsed.ok) return error(parsed.reason);
  const tests = parsed.value;
  // An empty run would finish at once and pass every node that joins it, having run nothing.
  if (Object.keys(tests).length === 0) return error('enq has no tests: a run needs at least one test file (did this node find any?)');
  const retry = parseEnqRetry(payload);
  if (!retry.ok) return error(retry.reason);
  const backups = parseEnqBackups(payload);
  if (!backups.ok) return error(backups.reason);
  const split = parseEnqSplit(payload, ctx.settings.maxFilesPerRun);
  if (!split.ok) return error(split.reason);
  if (isEnqueued(state)) {
    const differ = differenceFrom(state, tests);
    if (differ > 0) return error(`enq differs from the tests already enqueued for this run in ${differ} test ids`);
    tr.warn(`duplicate enq from node ${node.index} ignored (same tests)`);
    return OK;
  }
  const durations = history.durations(tests);
  // Split only for a client that runs parts; the slots are the workers of the nodes the run will have.
  const slots = Math.max(split.value.nodes ?? 0, available(state, ctx).length) * Math.max(1, node.workers ?? 1);
  const plan =
    node.acceptsParts && split.value.split
      ? planParts(durations, history.tests, { slots, minSeconds: ctx.settings.splitMinSeconds, noSplit: new Set(split.value.noSplit) })
      : undefined;
  const parts = plan !== undefined && Object.keys(plan.parts).length > 0 ? plan : undefined;
  tr.emit({
    t: 'enq',
    tests,
    ...(retry.value > 0 ? { retry: retry.value } : {}),
    ...(backups.value ? {} : { backups: false as const }),
    durations: Object.fromEntries([...durations, ...(parts?.durations ?? [])]),
    ...(parts ? { parts: parts.parts } : {}),
    at: ctx.now,
  });
  if (parts) {
    const files = new Set(Object.values(parts.parts).map(spec => spec.file));
    tr.warn(`split ${files.size} slow file${files.size === 1 ? '' : 's'} into ${Object.keys(parts.parts).length} parts (${slots} slots)`);
  }
  return OK;
}

/** How many ids differ between `tests` and what is enqueued. */
function differenceFrom(state: RunState, tests: EntryMap): number {
  const enqueued = state.enqueued ?? {};
  const ids = Object.keys(tests);
  // Own keys only: ids like "toString" must not match Object.prototype.
  const shared = ids.filter(id => Object.hasOwn(enqueued, id)).length;
  return ids.length - shared + (enqueuedCount(state) - shared);
}

/**
 * `deq`: records the results it carries, then answers: the next batch,
 * `[]` (done, or "report yours"), or nothing yet (`hold`: the host answers
 * it when work comes back, with serveHeld). `retried`: failures in these
 * results that are not final; every answer to this deq must name them.
 */
export function deq(tr: Transition, member: Member, payload: unknown): { reply?: Reply; hold?: true; retried: string[] } {
  const { state, ctx } = tr;
  const node = current(state, member, ctx);
  if (node === undefined) return { reply: STALE, retried: [] };
  // A left node gets no reconnect grace, so files leased to it now would be stuck until the lease timeout.
  if (node.left) return { reply: LEFT, retried: [] };
  const parsed = parseDeqPayload(payload, ctx.settings.maxFilesPerRun);
  if (!parsed.ok) return { reply: error(parsed.reason), retried: [] };
  const retried = recordResults(tr, node, parsed.value);
  const answer = serve(tr, node);
  return answer === undefined ? { hold: true, retried } : { reply: withRetry(answer, retried), retried };
}

/** A held deq, asked again: its answer now, or undefined to keep holding it. */
export function serveHeld(tr: Transition, member: Member): Reply | undefined {
  const node = current(tr.state, member, tr.ctx);
  if (node === undefined) return undefined;
  return serve(tr, node);
}

function serve(tr: Transition, node: NodeState): Reply | undefined {
  const { state, ctx } = tr;
  const queued = hasWorkFor(state, node, ctx) ? state.queue.length : 0;
  switch (decideDeq({ finished: isFinished(state), queued, holdsLeases: state.leases.hasAny(node.index) })) {
    case 'done':
      return deqReply([], summaryOf(state));
    case 'batch': {
      const size = batchSize(state.queue.length, available(state, ctx).length, node.workers);
      const ids = state.queue.peekFront(size, mayRun(state, node, ctx));
      tr.emit({ t: 'lease', node: node.index, ids, at: ctx.now });
      return deqReply(ids, undefined, partsAmong(state, ids));
    }
    case 'drain':
      return deqReply([]);
    case 'hold': {
      // Nothing queued: an idle node takes backup copies of the files of gone or slow nodes.
      const copies = backupsFor(state, node, ctx);
      if (copies.length === 0) return undefined;
      tr.emit({ t: 'copy', node: node.index, ids: copies, at: ctx.now });
      return deqReply(copies, undefined, partsAmong(state, copies));
    }
  }
}

/**
 * Files another node holds that an idle node should run too, the first
 * result counting (MapReduce's backup tasks): those of a node gone for
 * handoffAfterMs (it may come back within its grace, but the run need not
 * wait for it), and those running longer than twice their expected
 * duration plus stragglerSlackMs. One copy per file. A file gone nodes were
 * running is copied only while fewer than maxCrashesPerFile nodes died with
 * it, so a file that kills its node does not take down every idle one.
 */
function backupCandidates(state: RunState, ctx: MachineContext): Array<{ id: string; holder: number; gone: boolean; since: number }> {
  if (!state.backups || isFinished(state)) return [];
  const { now, settings } = ctx;
  const found: Array<{ id: string; holder: number; gone: boolean; since: number }> = [];
  for (const [id, lease] of state.leases.entries()) {
    if (state.leases.copiesOf(id).length > 0) continue;
    const holder = state.nodes[lease.node];
    if (holder === undefined) continue;
    const gone = goneSince(holder, ctx);
    if (gone !== undefined) {
      const deaths = (state.crashedOn.get(id)?.length ?? 0) + 1;
      if (gone + settings.handoffAfterMs <= now && deaths < settings.maxCrashesPerFile) found.push({ id, holder: lease.node, gone: true, since: lease.at });
      continue;
    }
    const expectedMs = (state.durations.get(id) ?? 0) * 1000;
    if (now - lease.at > 2 * expectedMs + settings.stragglerSlackMs) found.push({ id, holder: lease.node, gone: false, since: lease.at });
  }
  // A gone node's files first, then the longest-running.
  return found.sort((a, b) => Number(b.gone) - Number(a.gone) || a.since - b.since);
}

/** Copies `node` should take now: candidates it does not hold and did not fail, at most one batch. */
function backupsFor(state: RunState, node: NodeState, ctx: MachineContext): string[] {
  const others = available(state, ctx).some(n => n.index !== node.index);
  return backupCandidates(state, ctx)
    .filter(c => c.holder !== node.index && (node.acceptsParts || !state.parts.has(c.id)) && !(others && (state.failedOn.get(c.id)?.includes(node.index) ?? false)))
    .slice(0, batchSize(Infinity, 1, node.workers))
    .map(c => c.id);
}

/** Some file could be copied to an idle node now (the host then offers held deqs the copies). */
export function hasBackupWork(state: RunState, ctx: MachineContext): boolean {
  return state.queue.length === 0 && backupCandidates(state, ctx).length > 0;
}

/**
 * `leave`: records the results its payload may carry (a node that bails
 * reports its last files as it leaves), then the node's other files go back
 * to the queue at once.
 */
export function leave(tr: Transition, member: Member, payload: unknown): Reply {
  const { state, ctx } = tr;
  const node = current(state, member, ctx);
  if (node === undefined) return STALE;
  const parsed = parseDeqPayload(payload, ctx.settings.maxFilesPerRun);
  if (!parsed.ok) return error(parsed.reason.replace(/^deq /, 'leave '));
  const retried = recordResults(tr, node, parsed.value);
  tr.emit({ t: 'leave', node: node.index });
  takeBack(tr, state.leases.heldBy(node.index), `node ${node.index} left`);
  if (node.index === state.enqueuer) handOverEnqueue(tr);
  return withRetry(OK, retried);
}

/** The channel is gone (socket closed, phx_leave, a newer join): the node's files wait for its rejoin. */
export function detach(tr: Transition, member: Member): void {
  const node = current(tr.state, member, tr.ctx);
  if (node === undefined) return;
  tr.emit({ t: 'detach', node: node.index, at: tr.ctx.now });
}

/** `running` (extension): the files the node runs now; if it dies, they are the suspects. */
export function running(tr: Transition, member: Member, payload: unknown): Reply {
  const node = current(tr.state, member, tr.ctx);
  if (node === undefined) return STALE;
  const tests = (payload as { tests?: unknown } | null)?.tests;
  if (!Array.isArray(tests) || tests.length > MAX_RUNNING || !tests.every(id => typeof id === 'string')) {
    return error(`running payload must be {"tests": [<test id>, ...]} with at most ${MAX_RUNNING} ids`);
  }
  tr.emit({ t: 'running', node: node.index, ids: tests as string[] });
  return OK;
}

/** `files` (extension): whether the run's file set is the one the node found, or the run's ids to compare. Causes nothing. */
export function checkFiles(state: RunState, member: Member, payload: unknown, ctx: MachineContext): Reply {
  if (current(state, member, ctx) === undefined) return STALE;
  const parsed = parseFilesPayload(payload);
  if (!parsed.ok) return error(parsed.reason);
  if (!isEnqueued(state)) return error("the run's files are not enqueued yet; send files after the first deq reply");
  const match = parsed.value.count === enqueuedCount(state) && parsed.value.digest === state.digest;
  const response: FilesResponse = match ? { event: ReplyEvents.files, match } : { event: ReplyEvents.files, match, tests: Object.keys(state.enqueued!).sort() };
  return { status: 'ok', response: response as unknown as Record<string, unknown> };
}

/** Whether a sweep may change anything: a node gone past its grace, or a lease past its timeout. */
export function isSweepDue(state: RunState, ctx: MachineContext): boolean {
  if (isFinished(state)) return false;
  for (const node of state.nodes) {
    if (node.left || node.lost) continue;
    const since = goneSince(node, ctx);
    if (since !== undefined && since + ctx.settings.reconnectGraceMs <= ctx.now) return true;
  }
  return state.leases.olderThan(ctx.now - ctx.settings.leaseTimeoutMs).length > 0;
}

/**
 * The passing of time, decided from timestamps whenever the server sweeps:
 * nodes gone past the reconnect grace are lost (their files go back, the
 * files they were running are noted against them), and leases older than
 * the lease timeout go back to the queue.
 */
export function sweep(tr: Transition): void {
  const { state, ctx } = tr;
  if (isFinished(state)) return;
  for (const node of state.nodes) {
    if (node.left || node.lost) continue;
    const since = goneSince(node, ctx);
    if (since === undefined || since + ctx.settings.reconnectGraceMs > ctx.now) continue;
    lose(tr, node);
  }
  const expired = state.leases.olderThan(ctx.now - ctx.settings.leaseTimeoutMs);
  if (expired.length > 0) {
    const byNode = new Map<number, string[]>();
    for (const id of expired) {
      const holder = state.leases.holder(id)!;
      byNode.set(holder, [...(byNode.get(holder) ?? []), id]);
    }
    for (const [holder, ids] of byNode) takeBack(tr, ids, `lease of node ${holder} expired`);
  }
}

/**
 * `node` is gone past its grace. The files it said it was running (or the
 * one file it held, if it never said) are noted against it; a file noted
 * against maxCrashesPerFile nodes is recorded as failed rather than handed
 * to the next node to take down. The rest go back to the queue.
 */
function lose(tr: Transition, node: NodeState): void {
  const { state, ctx } = tr;
  const held = state.leases.heldBy(node.index);
  const suspects = node.running === undefined ? (held.length === 1 ? held : []) : node.running.filter(id => state.leases.holds(id, node.index));
  tr.emit({ t: 'lost', node: node.index, suspects });
  for (const id of suspects) {
    const nodes = state.crashedOn.get(id) ?? [];
    if (nodes.length < ctx.settings.maxCrashesPerFile) continue;
    tr.emit({ t: 'crashed', id, nodes: [...nodes] });
    tr.warn(`${quoteId(id)} recorded as failed: nodes ${nodes.join(', ')} died while running it`);
  }
  takeBack(tr, state.leases.heldBy(node.index), `node ${node.index} did not come back`);
  if (node.index === state.enqueuer) handOverEnqueue(tr);
  finishIfComplete(tr);
}

// ---- Shared steps. -------------------------------------------------------------

/** Records each result; returns the failures that will run again on another node instead. */
function recordResults(tr: Transition, node: NodeState, results: EntryMap): string[] {
  const retried = Object.entries(results)
    .filter(([id, entry]) => record(tr, node, id, entry))
    .map(([id]) => id);
  finishIfComplete(tr);
  return retried;
}

/** Records one result (first result wins); true when it was a failure to retry on another node instead. */
function record(tr: Transition, node: NodeState, id: string, entry: FileEntry): boolean {
  const { state } = tr;
  const holder = state.leases.holder(id);
  // Its lease, or a backup copy: whichever result comes first counts.
  const holds = state.leases.holds(id, node.index);
  const failedOn = state.failedOn.get(id) ?? [];
  if (entry.file_status === 'failed') {
    // The same failure sent again after a lost reply that said "retry": still not final.
    if (failedOn.includes(node.index) && !holds && resultOf(state, id)?.nodeIndex !== node.index) return true;
    if (holds && failedOn.length < state.retry) {
      tr.emit({ t: 'retry', node: node.index, id });
      tr.warn(`retrying ${quoteId(id)}: it failed on node ${node.index} (failure ${failedOn.length + 1} of at most ${state.retry + 1} runs)`);
      return true;
    }
  }
  if (holds) {
    tr.emit({ t: 'result', node: node.index, id, entry });
    return false;
  }
  const had = resultOf(state, id);
  const why = !isUnit(state, id)
    ? state.partsOf.has(id)
      ? 'the file runs in parts: results come by part'
      : 'not a test of this run'
    : had !== undefined
      ? `already has a result from node ${had.nodeIndex}`
        : holder === undefined
          ? 'not leased to it (its lease was taken back)'
          : `leased to node ${holder}`;
  tr.warn(`ignored result for ${quoteId(id)} from node ${node.index}: ${why}`);
  return false;
}

/**
 * Takes files back from their holder: one another node holds a copy of
 * becomes that node's; the rest go to the front of the queue.
 */
function takeBack(tr: Transition, ids: string[], why: string): void {
  const { state } = tr;
  if (ids.length === 0 || isFinished(state)) return;
  const requeue: string[] = [];
  for (const id of ids) {
    const to = state.leases.copiesOf(id).find(n => state.nodes[n] !== undefined && !state.nodes[n]!.left && !state.nodes[n]!.lost);
    if (to === undefined) requeue.push(id);
    else tr.emit({ t: 'promote', node: to, id });
  }
  if (requeue.length === 0) return;
  tr.emit({ t: 'requeue', ids: requeue });
  tr.warn(`${requeue.length} files requeued: ${why}`);
}

/** The enqueuing node is gone before its enq landed: ask the lowest-index connected node, or the next to join. */
function handOverEnqueue(tr: Transition): void {
  if (isEnqueued(tr.state)) return;
  const next = available(tr.state, tr.ctx)[0];
  tr.emit({ t: 'enqRequest', node: next === undefined ? -1 : next.index });
}

function finishIfComplete(tr: Transition): void {
  if (!isFinished(tr.state) && isComplete(tr.state)) tr.emit({ t: 'finish', at: tr.ctx.now });
}

/** What the enq of a run causes once applied: finish at once if it is complete (never, with at least one file). */
export function afterEnq(tr: Transition): void {
  finishIfComplete(tr);
}
