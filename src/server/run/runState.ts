/**
 * One run's state, and `apply`, the only function that changes it: each
 * event (runEvents.ts) applied in order gives the state, whether the events
 * were just decided (runMachine.ts), read back from the journal after a
 * restart, or written by another server on the same Redis. Pure: no I/O,
 * no clock, no timers; time comes in the events.
 */
import { nodeLabel } from '../../protocol/nodeLabel';
import { crashedEntry } from '../../protocol/entries';
import { mergePartEntries, type PartSpec } from '../../protocol/parts';
import { fileSetDigest, idMap } from '../../protocol/fileSet';
import { failsOnlyInQuarantine, quarantineByFile, type QuarantineList } from '../../protocol/quarantine';
import type { EntryMap, FileEntry, RetryRunMode, RunSummary } from '../../protocol/types';
import { LeaseTable } from './LeaseTable';
import type { AttemptSeed, RunEvent } from './runEvents';
import type { RunIdentity } from './runIdentity';
import { expectedDurations, longestFirst, nodeSpeeds } from './scheduling';
import { summarize } from './summary';
import type { RunMeta } from '../types';
import { MAX_EXTRA_SPANS, Timeline, type Span } from './Timeline';
import { WorkQueue } from './WorkQueue';

export interface NodeState {
  readonly index: number;
  readonly nodeId: string | undefined;
  /** Its CI shard index (the join's `shard`), by which people know it (nodeLabel). */
  readonly shard: number | undefined;
  workers: number | undefined;
  /** Bumped on every attach: a channel of an older generation is stale. */
  generation: number;
  /** The server instance holding the node's channel; undefined once it detached. */
  attachedTo: string | undefined;
  /** When its channel went away (for the reconnect grace). */
  detachedAt: number | undefined;
  /** Sent `leave`. */
  left: boolean;
  /** Gone past the reconnect grace; its files went back to the queue. */
  lost: boolean;
  filesReported: number;
  /** The files it last said it is running (the `running` extension). */
  running: string[] | undefined;
  /** Its client runs parts of files (its join `accepts` them). */
  acceptsParts: boolean;
  /** Its client drops files it is told to (`cancel` pushes; its join `accepts` them). */
  acceptsCancel: boolean;
  /** The files its Jest cache is warm for (its join's `warm`); undefined when it said nothing. */
  warm: ReadonlySet<string> | undefined;
}

export interface RecordedResult {
  readonly entry: FileEntry;
  /** The node that ran it: of this run, or of the run `from` names. */
  readonly nodeIndex: number;
  /** The attempt that recorded it, when not the first: a result of an earlier attempt than the run's is kept from it. */
  readonly attempt?: number;
  /** The build whose run recorded it (and holds its report), when not this one: a result a retry run took over. */
  readonly from?: string;
}

/** This run is a retry of an earlier attempt of its build (the `attempt` event), as every joining node is told. */
export interface RetryOf {
  readonly of: string;
  readonly mode: RetryRunMode;
  /** The earlier attempt was not known: every file runs. */
  readonly missing?: string;
}

export interface RunState {
  /** Events applied so far: the position in the run's log. */
  version: number;
  readonly identity: RunIdentity;
  readonly meta: RunMeta;
  readonly openedAt: number;
  /** The run key's quarantined tests as the run opened (every node is told these), and the same by file id. */
  quarantine: QuarantineList;
  quarantineByFile: ReadonlyMap<string, ReadonlySet<string>>;
  readonly nodes: NodeState[];
  readonly byNodeId: Map<string, NodeState>;
  enqueued: EntryMap | undefined;
  /** How many files are enqueued (asked on every result: not counted each time). */
  fileCount: number;
  digest: string | undefined;
  /** Expected seconds per file, longest first in the queue. */
  durations: Map<string, number>;
  /** Retries allowed per file after a failure (the enq's `retry`). */
  retry: number;
  /** Backup copies of the files of gone or slow nodes may be handed out (the enq did not say `backups: false`). */
  backups: boolean;
  /** The run stops once this many files failed (Jest's --bail; 0: never). */
  bail: number;
  /** Why the run stopped before every file ran, if it did. */
  stopped: 'bail' | 'cancelled' | undefined;
  /** Files not handed out, front first. */
  readonly queue: WorkQueue;
  readonly leases: LeaseTable;
  /** Results by file id; a split file's once all its parts have one (merged). Changed through putResult and dropResult only. */
  readonly results: Map<string, RecordedResult>;
  /** How many of `results` failed (those that failed only in quarantined tests not counted: they do not fail the run). */
  failedFiles: number;
  /** Files of `results` that failed in quarantined tests only (protocol/quarantine.ts). */
  readonly quarantinedFiles: Set<string>;
  /** Each unit's time on each node. */
  readonly timeline: Timeline;
  /** Parts of split files, by part id, and each split file's part ids in order. */
  readonly parts: Map<string, PartSpec>;
  readonly partsOf: Map<string, string[]>;
  /** Results of parts, by part id. */
  readonly partResults: Map<string, RecordedResult>;
  /** Nodes on which a file failed before; it goes to them again only when nobody else can take it. */
  readonly failedOn: Map<string, number[]>;
  /** With retries on: each failed attempt's entry of a file run again (the page shows a flaky file's failure). */
  readonly failedAttempts: Map<string, Array<{ readonly node: number; readonly entry: FileEntry }>>;
  /** Nodes that died while running the file. */
  readonly crashedOn: Map<string, number[]>;
  /** Files recorded as failed because they crashed the nodes that ran them. */
  readonly crashed: Set<string>;
  /** The node expected to send `enq`; -1: the next node to join. */
  enqueuer: number;
  finishedAt: number | undefined;
  /** The summary as the run finished: nodes joining a finished run do not change it. */
  finalSummary: RunSummary | undefined;
  /** When something last happened (for abandoned runs). */
  lastEventAt: number;
  readonly warnings: string[];
  droppedWarnings: number;
  /** Which attempt of its build this run is (1 unless retried: the `attempt` event). */
  attempt: number;
  /** Nodes that joined before this attempt began (a retry of this same run): they do not count against maxNodesPerRun. */
  attemptFirstNode: number;
  retryOf: RetryOf | undefined;
}

/** Caps on what a run keeps for inspection, so a noisy client cannot grow it without bound. */
export const MAX_WARNINGS = 1_000;

export function createRunState(open: Extract<RunEvent, { t: 'open' }>): RunState {
  return {
    version: 1,
    identity: { keyHash: open.keyHash, runKey: open.runKey, buildId: open.buildId },
    meta: open.meta,
    openedAt: open.at,
    quarantine: open.quarantine ?? [],
    quarantineByFile: quarantineByFile(open.quarantine ?? []),
    nodes: [],
    byNodeId: new Map(),
    enqueued: undefined,
    fileCount: 0,
    digest: undefined,
    durations: new Map(),
    retry: 0,
    backups: true,
    bail: 0,
    stopped: undefined,
    queue: new WorkQueue(),
    leases: new LeaseTable(),
    results: new Map(),
    failedFiles: 0,
    quarantinedFiles: new Set(),
    timeline: new Timeline(),
    parts: new Map(),
    partsOf: new Map(),
    partResults: new Map(),
    failedOn: new Map(),
    failedAttempts: new Map(),
    crashedOn: new Map(),
    crashed: new Set(),
    enqueuer: 0,
    finishedAt: undefined,
    finalSummary: undefined,
    lastEventAt: open.at,
    warnings: [],
    droppedWarnings: 0,
    attempt: 1,
    attemptFirstNode: 0,
    retryOf: undefined,
  };
}

/** Applies one event. Every change to a run's state goes through here. */
export function apply(state: RunState, event: RunEvent): void {
  state.version += 1;
  switch (event.t) {
    case 'open':
      return;
    case 'join': {
      if (state.nodes[event.index] !== undefined) return;
      const node: NodeState = {
        index: event.index,
        nodeId: event.nodeId,
        shard: event.shard,
        workers: event.workers,
        generation: 0,
        attachedTo: undefined,
        detachedAt: undefined,
        left: false,
        lost: false,
        filesReported: 0,
        running: undefined,
        acceptsParts: false,
        acceptsCancel: false,
        warm: undefined,
      };
      state.nodes[event.index] = node;
      if (event.nodeId !== undefined) state.byNodeId.set(event.nodeId, node);
      if (event.at !== undefined) state.lastEventAt = event.at;
      return;
    }
    case 'attach': {
      const node = state.nodes[event.node];
      if (node === undefined) return;
      node.generation += 1;
      node.attachedTo = event.instance;
      node.detachedAt = undefined;
      node.left = false;
      node.lost = false;
      node.acceptsParts = event.parts === true;
      node.acceptsCancel = event.cancel === true;
      if (event.workers !== undefined) node.workers = event.workers;
      // A rejoin that says nothing keeps what the node said before.
      if (event.warm !== undefined) node.warm = new Set(event.warm);
      state.lastEventAt = event.at;
      return;
    }
    case 'detach': {
      const node = state.nodes[event.node];
      if (node === undefined) return;
      node.attachedTo = undefined;
      node.detachedAt = event.at;
      state.lastEventAt = event.at;
      return;
    }
    case 'enq': {
      if (state.enqueued !== undefined) return;
      // The durations the enqueuing server knew (the client's, its history's); an old journal has none.
      const tests = takeFiles(state, event.tests, event, durations => durations ?? expectedDurations(event.tests));
      for (const [id, spec] of Object.entries(event.parts ?? {})) {
        state.parts.set(id, spec);
        state.partsOf.set(spec.file, [...(state.partsOf.get(spec.file) ?? []), id]);
      }
      // The queue holds what is handed out: whole files, and the parts of split ones.
      state.queue.fill(longestFirst(unitsOf(state, Object.keys(tests)), state.durations));
      if (event.at !== undefined) state.lastEventAt = event.at;
      return;
    }
    case 'enqRequest':
      state.enqueuer = event.node;
      return;
    case 'lease': {
      const at = event.at ?? state.lastEventAt;
      state.queue.remove(event.ids);
      state.leases.lease(event.ids, event.node, at);
      state.timeline.start(event.ids, event.node, event.at, state.lastEventAt, 2 * state.fileCount + MAX_EXTRA_SPANS);
      state.lastEventAt = at;
      return;
    }
    case 'copy':
      state.leases.copy(event.ids, event.node, event.at);
      state.timeline.start(event.ids, event.node, event.at, state.lastEventAt, 2 * state.fileCount + MAX_EXTRA_SPANS);
      state.lastEventAt = event.at;
      return;
    case 'promote':
      state.leases.promote(event.id, event.node);
      return;
    case 'result': {
      const node = state.nodes[event.node];
      if (node === undefined || hasResult(state, event.id)) return;
      state.timeline.end(event.id, event.entry.file_status, event.at, state.lastEventAt, event.node);
      record(state, event.id, state.attempt > 1 ? { entry: event.entry, nodeIndex: event.node, attempt: state.attempt } : { entry: event.entry, nodeIndex: event.node });
      node.filesReported += 1;
      return;
    }
    case 'requeue': {
      for (const id of event.ids) {
        state.leases.release(id);
        state.timeline.end(id, 'requeued', event.at, state.lastEventAt);
      }
      state.queue.putFront(longestFirst(event.ids.filter(id => !hasResult(state, id)), state.durations));
      return;
    }
    case 'retry': {
      state.timeline.end(event.id, 'retried', event.at, state.lastEventAt, event.node);
      state.failedOn.set(event.id, [...(state.failedOn.get(event.id) ?? []), event.node]);
      if (event.entry !== undefined) state.failedAttempts.set(event.id, [...(state.failedAttempts.get(event.id) ?? []), { node: event.node, entry: event.entry }]);
      state.leases.release(event.id);
      state.queue.putFront([event.id]);
      return;
    }
    case 'leave': {
      const node = state.nodes[event.node];
      if (node !== undefined) node.left = true;
      state.leases.dropCopies(event.node);
      return;
    }
    case 'lost': {
      const node = state.nodes[event.node];
      if (node === undefined) return;
      node.lost = true;
      state.leases.dropCopies(event.node);
      for (const id of event.suspects ?? []) state.crashedOn.set(id, [...(state.crashedOn.get(id) ?? []), node.index]);
      return;
    }
    case 'crashed':
      if (hasResult(state, event.id)) return;
      state.timeline.end(event.id, 'failed', event.at, state.lastEventAt);
      state.queue.remove([event.id]);
      record(state, event.id, {
        entry: crashedEntry(event.nodes),
        nodeIndex: event.nodes[event.nodes.length - 1]!,
        ...(state.attempt > 1 ? { attempt: state.attempt } : {}),
      });
      state.crashed.add(state.parts.get(event.id)?.file ?? event.id);
      return;
    case 'running': {
      const node = state.nodes[event.node];
      if (node !== undefined) node.running = event.ids;
      return;
    }
    case 'cancel':
      for (const id of event.ids) state.timeline.end(id, 'released', event.at, state.lastEventAt, event.node);
      return;
    case 'stop':
      state.stopped = event.why;
      state.lastEventAt = event.at;
      return;
    case 'warn':
      if (state.warnings.length < MAX_WARNINGS) state.warnings.push(event.message);
      else state.droppedWarnings += 1;
      return;
    case 'finish':
      state.finishedAt = event.at;
      state.finalSummary = summaryOf(state);
      state.leases.clear();
      state.timeline.endAll(event.at);
      state.lastEventAt = event.at;
      return;
    case 'attempt':
      startAttempt(state, event);
      return;
  }
}

/** Records a file's or a part's result; a split file gets its merged result with its last part's. */
function record(state: RunState, id: string, result: RecordedResult): void {
  state.leases.release(id);
  const spec = state.parts.get(id);
  if (spec === undefined) {
    putResult(state, id, result);
    return;
  }
  state.partResults.set(id, result);
  const all = state.partsOf.get(spec.file)!;
  if (!all.every(part => state.partResults.has(part))) return;
  const results = all.map(part => state.partResults.get(part)!);
  const attempt = result.attempt === undefined ? {} : { attempt: result.attempt };
  putResult(state, spec.file, { entry: mergePartEntries(results.map(r => r.entry)), nodeIndex: results[0]!.nodeIndex, ...attempt });
}

/** Sets a file's result, keeping the count of failed ones (a file that failed only in quarantined tests apart). */
function putResult(state: RunState, id: string, result: RecordedResult): void {
  dropResult(state, id);
  state.results.set(id, result);
  if (result.entry.file_status !== 'failed') return;
  if (failsOnlyInQuarantine(result.entry, state.quarantineByFile.get(id))) state.quarantinedFiles.add(id);
  else state.failedFiles += 1;
}

function dropResult(state: RunState, id: string): void {
  const had = state.results.get(id);
  if (had === undefined) return;
  state.results.delete(id);
  if (had.entry.file_status !== 'failed') return;
  if (!state.quarantinedFiles.delete(id)) state.failedFiles -= 1;
}

/** What the queue hands out for these files: each file, or the parts of a split one. */
function unitsOf(state: RunState, files: readonly string[]): string[] {
  return files.flatMap(id => state.partsOf.get(id) ?? [id]);
}

/**
 * A new attempt of the build. The files whose result stands keep it (those
 * that did not fail, with `mode: 'failed'`); every other file is queued
 * again, longest first. With a seed, the run takes over the earlier run's
 * files and results; without, it is this run again, unfinished.
 */
function startAttempt(state: RunState, event: Extract<RunEvent, { t: 'attempt' }>): void {
  state.retryOf = { of: event.of, mode: event.mode, ...(event.missing === undefined ? {} : { missing: event.missing }) };
  state.lastEventAt = event.at;
  if (event.quarantine !== undefined) {
    // Before any result is dropped or kept: what stands is counted by it.
    state.quarantine = event.quarantine;
    state.quarantineByFile = quarantineByFile(event.quarantine);
  }
  if (event.missing !== undefined) return;
  state.attempt = event.attempt;
  if (event.seed !== undefined) {
    if (state.enqueued !== undefined) return;
    seedFrom(state, event.seed);
  } else if (state.enqueued === undefined) {
    // A new build id with FAST_CI_RETRY_RUN=all: a new run, enqueued by its node 0.
    return;
  } else {
    // This run again: its nodes so far were the earlier attempt's.
    state.attemptFirstNode = state.nodes.length;
  }
  for (const [id, result] of state.results) if (event.mode === 'all' || result.entry.file_status === 'failed') dropResult(state, id);
  // A split file runs again in its parts: all of them, as its result is the parts' together.
  for (const [file, parts] of state.partsOf) if (!state.results.has(file)) for (const part of parts) state.partResults.delete(part);
  state.finishedAt = undefined;
  state.finalSummary = undefined;
  state.stopped = undefined;
  state.leases.clear();
  state.failedOn.clear();
  state.failedAttempts.clear();
  state.crashedOn.clear();
  state.crashed.clear();
  state.queue.fill(longestFirst(unitsOf(state, Object.keys(state.enqueued!).filter(id => !state.results.has(id))), state.durations));
}

/** The run's files and settings, from its enq or from the earlier attempt a retry run continues. */
function takeFiles(
  state: RunState,
  files: EntryMap,
  settings: { retry?: number; backups?: false; bail?: number; durations?: Record<string, number> },
  durations: (recorded: Map<string, number> | undefined) => Map<string, number>,
): EntryMap {
  const tests: EntryMap = idMap();
  for (const [id, entry] of Object.entries(files)) tests[id] = entry;
  state.enqueued = tests;
  state.fileCount = Object.keys(tests).length;
  state.retry = settings.retry ?? 0;
  state.backups = settings.backups !== false;
  state.bail = settings.bail ?? 0;
  state.digest = fileSetDigest(Object.keys(tests));
  state.durations = durations(settings.durations === undefined ? undefined : new Map(Object.entries(settings.durations)));
  return tests;
}

function seedFrom(state: RunState, seed: AttemptSeed): void {
  const tests = takeFiles(state, seed.tests, seed, recorded => recorded ?? new Map());
  for (const [id, kept] of Object.entries(seed.kept)) {
    if (Object.hasOwn(tests, id)) putResult(state, id, { entry: kept.entry, nodeIndex: kept.node, attempt: kept.attempt, from: kept.from });
  }
}

/**
 * What a retry run of another build takes over from this run: its files and
 * the results that stand (those that did not fail). Undefined before the
 * run is enqueued (there is nothing to take over).
 */
export function attemptSeed(state: RunState): { of: string; attempt: number; seed: AttemptSeed } | undefined {
  if (state.enqueued === undefined) return undefined;
  // Test ids are data: `__proto__` is a file like any other.
  const kept = Object.create(null) as AttemptSeed['kept'];
  for (const [id, r] of state.results) {
    if (r.entry.file_status === 'failed') continue;
    kept[id] = { entry: r.entry, node: r.nodeIndex, from: r.from ?? state.identity.buildId, attempt: r.attempt ?? 1 };
  }
  const seed: AttemptSeed = { tests: state.enqueued, kept, durations: Object.fromEntries(state.durations) };
  if (state.retry > 0) seed.retry = state.retry;
  if (!state.backups) seed.backups = false;
  if (state.bail > 0) seed.bail = state.bail;
  return { of: state.identity.buildId, attempt: state.attempt, seed };
}

/**
 * The results nodes reported, as their records are kept: each file's, but
 * a split file's by its parts (its merged result is the server's alone;
 * one a retry run kept from another build stays whole).
 */
export function reportedUnits(state: RunState): Array<[string, RecordedResult]> {
  const files = [...state.results].filter(([file, result]) => !state.partsOf.has(file) || result.from !== undefined);
  return [...files, ...state.partResults];
}

/** The results this attempt recorded (not those a retry kept from an earlier attempt). */
export function resultsOfThisAttempt(state: RunState): Map<string, RecordedResult> {
  const ran = new Map<string, RecordedResult>();
  for (const [id, result] of state.results) if (!isKept(state, result)) ran.set(id, result);
  return ran;
}

/**
 * What the duration history learns from this attempt: each result with its
 * run time divided by its node's speed in the run (scheduling.nodeSpeeds).
 */
export function historyResults(state: RunState): Map<string, { entry: FileEntry }> {
  const ran = resultsOfThisAttempt(state);
  const speeds = nodeSpeeds([...ran].map(([id, r]) => ({ node: r.nodeIndex, expected: state.durations.get(id) ?? 0, actual: r.entry.run_time ?? 0 })));
  const out = new Map<string, { entry: FileEntry }>();
  for (const [id, r] of ran) {
    const speed = speeds.get(r.nodeIndex);
    const seconds = r.entry.run_time;
    out.set(id, { entry: speed === undefined || seconds === undefined ? r.entry : { ...r.entry, run_time: Math.round((seconds / speed) * 1000) / 1000 } });
  }
  return out;
}

/**
 * Every entry this attempt's files finished with, with the node that ran it
 * and which run of the file it was: each failed attempt before a retry
 * (1, 2, …), then the result (the test history's input).
 */
export function entriesRan(state: RunState): Array<{ file: string; entry: FileEntry; node: string; attempt: number }> {
  const name = (index: number): string => nodeLabel(index, state.nodes[index]?.shard);
  const out: Array<{ file: string; entry: FileEntry; node: string; attempt: number }> = [];
  for (const [file, result] of resultsOfThisAttempt(state)) {
    const failed = state.failedAttempts.get(file) ?? [];
    failed.forEach((attempt, i) => out.push({ file, entry: attempt.entry, node: name(attempt.node), attempt: i + 1 }));
    out.push({ file, entry: result.entry, node: name(result.nodeIndex), attempt: failed.length + 1 });
  }
  return out;
}

/** How many nodes joined this attempt of the run. */
export function nodesOfAttempt(state: RunState): number {
  return state.nodes.length - state.attemptFirstNode;
}

/** The result stands from an earlier attempt (this retry run did not run it). */
export function isKept(state: RunState, result: RecordedResult): boolean {
  return (result.attempt ?? 1) < state.attempt;
}

// ---- Queries: pure reads of a state. -------------------------------------

/** `id` is something this run hands out: a file that is not split, or a part. */
export function isUnit(state: RunState, id: string): boolean {
  if (state.parts.has(id)) return true;
  return state.enqueued !== undefined && Object.hasOwn(state.enqueued, id) && !state.partsOf.has(id);
}

/** The file or part has its result. */
export function hasResult(state: RunState, id: string): boolean {
  return state.parts.has(id) ? state.partResults.has(id) : state.results.has(id);
}

/** The recorded result of a whole file (a split one's once all its parts are in). */
export function fileResultOf(state: RunState, file: string): RecordedResult | undefined {
  return state.results.get(file);
}

/** The recorded result of a file or a part. */
export function resultOf(state: RunState, id: string): RecordedResult | undefined {
  return state.parts.has(id) ? state.partResults.get(id) : state.results.get(id);
}

export function isEnqueued(state: RunState): boolean {
  return state.enqueued !== undefined;
}

export function isFinished(state: RunState): boolean {
  return state.finishedAt !== undefined;
}

/** Every enqueued file has a result. */
export function isComplete(state: RunState): boolean {
  return state.enqueued !== undefined && state.results.size === state.fileCount;
}

export function enqueuedCount(state: RunState): number {
  return state.enqueued === undefined ? 0 : state.fileCount;
}

export function summaryOf(state: RunState): RunSummary {
  if (state.finalSummary !== undefined) return state.finalSummary;
  // A part that failed before its recorded result makes its file flaky.
  const failedOn = new Map<string, number[]>();
  for (const [id, nodes] of state.failedOn) {
    const file = state.parts.get(id)?.file ?? id;
    failedOn.set(file, [...(failedOn.get(file) ?? []), ...nodes]);
  }
  const summary = summarize(state.results.entries(), state.nodes.length - state.attemptFirstNode, failedOn, state.attempt, state.quarantinedFiles);
  if (state.crashed.size > 0) summary.crashed = [...state.crashed].sort();
  if (state.stopped !== undefined) {
    summary.stopped = state.stopped;
    summary.not_run = enqueuedCount(state) - state.results.size;
  }
  return summary;
}

/** Where a run is: waiting for its files, running, or finished. */
export type RunPhase = 'waiting' | 'running' | 'finished';

export function phaseOf(state: RunState): RunPhase {
  return isFinished(state) ? 'finished' : isEnqueued(state) ? 'running' : 'waiting';
}

/** The counts a list of runs shows: files (a split file counts once, when all its parts are in), results, failures, nodes. */
export interface RunCounts {
  readonly phase: RunPhase;
  readonly total: number;
  readonly done: number;
  readonly failed: number;
  readonly nodeCount: number;
}

export function countsOf(state: RunState): RunCounts {
  return { phase: phaseOf(state), total: enqueuedCount(state), done: state.results.size, failed: state.failedFiles, nodeCount: state.nodes.length };
}

/** Each unit's time on each node, oldest first, and whether their times are known. */
export function timelineOf(state: RunState): { timed: boolean; spans: Span[] } {
  return { timed: state.timeline.isTimed, spans: state.timeline.spans() };
}
