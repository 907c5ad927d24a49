/**
 * Scheduling decisions, as pure functions: which file goes first, how many
 * files a node gets, and what a `deq` is answered with. No state, no I/O.
 */
import { isSplittable, partId, partSeconds, splitTests, type KnownTest, type PartSpec } from '../../protocol/parts';
import type { FileEntry } from '../../protocol/types';

/** Batch cap for a node that did not say how many workers it runs (the reference clients run one file at a time, ours say). */
export const DEFAULT_BATCH_CAP = 4;

function isKnown(seconds: number | undefined): seconds is number {
  return seconds !== undefined && Number.isFinite(seconds) && seconds > 0;
}

/** Median of a non-empty list. */
function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * Expected seconds per test id: the server's history for the file (every
 * node's last run of it, normalised by node speed), else the `run_time` the
 * client put on the pending entry (its own Jest cache's last duration, from
 * whichever machine ran it there), else the median of the files that have
 * one of those (0 when none does).
 */
export function expectedDurations(
  entries: Readonly<Record<string, FileEntry>>,
  history: (id: string) => number | undefined = () => undefined,
): Map<string, number> {
  const known = new Map<string, number>();
  const unknown: string[] = [];
  for (const [id, entry] of Object.entries(entries)) {
    const remembered = history(id);
    const seconds = isKnown(remembered) ? remembered : entry.run_time;
    if (isKnown(seconds)) known.set(id, seconds);
    else unknown.push(id);
  }
  const fallback = known.size > 0 ? median([...known.values()]) : 0;
  for (const id of unknown) known.set(id, fallback);
  return known;
}

/** Longest expected duration first; ties by id so the order is deterministic. */
export function longestFirst(ids: Iterable<string>, durations: ReadonlyMap<string, number>): string[] {
  return [...ids].sort((a, b) => (durations.get(b) ?? 0) - (durations.get(a) ?? 0) || (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * Files to hand a node: half of its fair share of what is left, so batches
 * are large while the queue is long and single files at the end (the tail
 * is where one slow batch would keep every other node waiting), never more
 * than the node runs at once.
 */
export function batchSize(remaining: number, activeNodes: number, workers?: number): number {
  const cap = workers !== undefined && workers > 0 ? workers : DEFAULT_BATCH_CAP;
  const share = Math.floor(remaining / (2 * Math.max(1, activeNodes)));
  return Math.max(1, Math.min(share, cap, remaining));
}

/** How to answer a `deq`. */
export type DeqDecision =
  /** Every file has a result: `[]` plus the summary. */
  | 'done'
  /** Lease the next batch. */
  | 'batch'
  /** Nothing queued, but this node still holds files: `[]` now means "report yours". */
  | 'drain'
  /** Nothing queued and other nodes hold the rest (or nothing is enqueued yet): answer later. */
  | 'hold';

export function decideDeq(state: { finished: boolean; queued: number; holdsLeases: boolean }): DeqDecision {
  if (state.finished) return 'done';
  if (state.queued > 0) return 'batch';
  if (state.holdsLeases) return 'drain';
  return 'hold';
}

/** What splitting decided: the parts of split files, by part id, and each part's expected seconds. */
export interface SplitPlan {
  readonly parts: Record<string, PartSpec>;
  readonly durations: Map<string, number>;
}

/**
 * Which files to split and how (extension `parts`): a file whose expected
 * seconds exceed one slot's fair share of the run (and `minSeconds`), whose
 * tests the server knows from an earlier run and can name exactly, runs as
 * parts of about one share each, at most one per slot. A part costs the
 * file's start-up again, so a file is split only when it would otherwise
 * be the run's tail. Part seconds are the file's, in proportion to its
 * tests' known seconds.
 */
export function planParts(
  durations: ReadonlyMap<string, number>,
  known: ReadonlyMap<string, readonly KnownTest[]>,
  options: { slots: number; minSeconds: number; noSplit: ReadonlySet<string> },
): SplitPlan {
  const plan: SplitPlan = { parts: {}, durations: new Map() };
  const slots = Math.max(1, Math.floor(options.slots));
  if (slots < 2) return plan;
  let total = 0;
  for (const seconds of durations.values()) total += seconds;
  const share = total / slots;
  for (const [file, seconds] of durations) {
    const tests = known.get(file);
    if (tests === undefined || seconds < options.minSeconds || seconds <= share || options.noSplit.has(file) || !isSplittable(tests)) continue;
    const count = Math.min(tests.length, Math.ceil(seconds / share), slots);
    if (count < 2) continue;
    const testSeconds = tests.reduce((sum, [, s]) => sum + s, 0);
    splitTests(file, tests, count).forEach((spec, i) => {
      const id = partId(file, i + 1, count);
      plan.parts[id] = spec;
      plan.durations.set(id, testSeconds > 0 ? (seconds * partSeconds(spec, tests)) / testSeconds : seconds / count);
    });
  }
  return plan;
}

/** What `pickBatch` needs to know of the run, as functions of a queued unit. */
export interface WarmQueue {
  /** Queued units, longest expected first. */
  readonly queue: Iterable<string>;
  /** The unit may go to this node (retries avoid the nodes it failed on, parts need a client that runs them). */
  readonly accept: (id: string) => boolean;
  readonly seconds: (id: string) => number;
  /** This node's Jest cache is warm for the unit. */
  readonly warmHere: (id: string) => boolean;
  /** The other nodes whose caches are warm for it. */
  readonly warmOn: (id: string) => readonly number[];
  /** Run slots (workers) of the nodes still in the run: a unit longer than the queue's work over them must start now. */
  readonly slots: number;
}

/**
 * A batch for a node when nodes said which files their Jest caches are
 * warm for (the `warm` extension). A file compiled on another machine is
 * compiled again here, so each node takes:
 *   1. files it must start now: a unit longer than the queued work per slot
 *      would end the run late wherever it waits (longest first still rules the tail);
 *   2. its own warm files, longest first;
 *   3. files warm nowhere (new or changed ones), longest first;
 *   4. files warm on other nodes, stolen from the node with the most queued
 *      warm work, its longest first, so a slow or late node's set is shared out.
 * With no warm information this is the queue's front, as before.
 */
export function pickBatch(run: WarmQueue, count: number): string[] {
  let queued = 0;
  for (const id of run.queue) queued += run.seconds(id);
  const urgent = queued / Math.max(1, run.slots);
  const now: string[] = [];
  const own: string[] = [];
  const pool: string[] = [];
  const others = new Map<number, { seconds: number; ids: string[] }>();
  for (const id of run.queue) {
    if (!run.accept(id)) continue;
    const seconds = run.seconds(id);
    if (seconds > 0 && seconds >= urgent && now.length < count) now.push(id);
    else if (run.warmHere(id)) own.push(id);
    else {
      const owners = run.warmOn(id);
      if (owners.length === 0) pool.push(id);
      for (const owner of owners) {
        const load = others.get(owner) ?? { seconds: 0, ids: [] };
        load.seconds += seconds;
        load.ids.push(id);
        others.set(owner, load);
      }
    }
  }
  const batch = new Set([...now, ...own, ...pool].slice(0, count));
  const busiest = [...others].sort(([a, x], [b, y]) => y.seconds - x.seconds || a - b);
  for (const [, { ids }] of busiest) {
    for (const id of ids) {
      if (batch.size >= count) return [...batch];
      batch.add(id);
    }
  }
  return [...batch];
}

/** A node's speed is measured from this many files with an expected and a measured duration, at least. */
export const MIN_FILES_FOR_SPEED = 3;
/** A node is taken as at most this many times slower or faster than the run's median node. */
export const MAX_SPEED_FACTOR = 4;

/**
 * How slow each node of a finished run was against the run's median node:
 * its measured seconds over the seconds expected of the same files (1: as
 * the median node; 2: twice as slow). A file timed on an overloaded
 * machine, or on one whose Jest cache was cold, is divided by its node's
 * factor before the history keeps it, so next run's longest-first order and
 * splits are the file's, not the machine's. Nodes with too few timed files
 * (and every node of a one-node run) are taken as the median.
 */
export function nodeSpeeds(samples: Iterable<{ node: number; expected: number; actual: number }>): Map<number, number> {
  const sums = new Map<number, { expected: number; actual: number; files: number }>();
  for (const { node, expected, actual } of samples) {
    if (!(expected > 0) || !(actual > 0)) continue;
    const sum = sums.get(node) ?? { expected: 0, actual: 0, files: 0 };
    sum.expected += expected;
    sum.actual += actual;
    sum.files += 1;
    sums.set(node, sum);
  }
  const ratios = new Map([...sums].filter(([, s]) => s.files >= MIN_FILES_FOR_SPEED).map(([node, s]) => [node, s.actual / s.expected]));
  const speeds = new Map<number, number>();
  if (ratios.size < 2) return speeds;
  const middle = median([...ratios.values()]);
  for (const [node, ratio] of ratios) speeds.set(node, Math.min(MAX_SPEED_FACTOR, Math.max(1 / MAX_SPEED_FACTOR, ratio / middle)));
  return speeds;
}
