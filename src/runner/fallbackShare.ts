/**
 * The share of files a node runs when the orchestrator cannot be reached.
 * Every node must compute the same split without talking to the others, so
 * it uses only what is the same on every node of a commit: the test ids, the
 * files' sizes, and the timings file as committed. (Durations in Jest's
 * cache are local to each machine; a split on them could differ between
 * nodes and drop files.) Pure.
 */
export interface WeightedFile {
  readonly id: string;
  /** Estimated cost; bigger runs longer. */
  readonly weight: number;
}

export interface SizedFile {
  readonly id: string;
  /** Bytes on disk. */
  readonly size: number;
}

export interface FallbackWeights {
  readonly files: WeightedFile[];
  /** Files whose weight is a recorded duration; 0 means the split is by file size alone. */
  readonly timed: number;
}

const byId = (a: { id: string }, b: { id: string }): number => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/**
 * What each file weighs in the split. With recorded durations, a file's
 * weight is its duration in ms, and a file the record does not list (added
 * since) is estimated from its size at the recorded files' ms per byte.
 * Without any, the weight is the size.
 */
export function fallbackWeights(files: readonly SizedFile[], durations?: ReadonlyMap<string, number>): FallbackWeights {
  // Jest hands each node its tests in its own order (by that machine's
  // cache); sums in id order give every node the same floating-point result.
  const sorted = [...files].sort(byId);
  const timed = durations ? sorted.filter(f => durations.has(f.id)) : [];
  if (timed.length === 0) return { files: sorted.map(f => ({ id: f.id, weight: f.size })), timed: 0 };
  let ms = 0;
  let bytes = 0;
  for (const f of timed) {
    ms += durations!.get(f.id)!;
    bytes += f.size;
  }
  const msPerByte = bytes > 0 ? ms / bytes : 0;
  const mean = ms / timed.length;
  const weight = (f: SizedFile): number => durations!.get(f.id) ?? (msPerByte > 0 ? f.size * msPerByte : mean);
  return { files: sorted.map(f => ({ id: f.id, weight: weight(f) })), timed: timed.length };
}

/** Longest-first greedy split into `total` bins; returns the ids of bin `index`. */
export function fallbackShare(files: readonly WeightedFile[], index: number, total: number): string[] {
  if (!Number.isInteger(total) || total < 1) throw new RangeError(`total must be a positive integer, got ${total}`);
  if (!Number.isInteger(index) || index < 0 || index >= total) throw new RangeError(`index must be in [0, ${total}), got ${index}`);
  const sorted = [...files].sort((a, b) => b.weight - a.weight || byId(a, b));
  const loads = new Array<number>(total).fill(0);
  const mine: string[] = [];
  for (const file of sorted) {
    let bin = 0;
    for (let i = 1; i < total; i++) if (loads[i]! < loads[bin]!) bin = i;
    loads[bin]! += Math.max(file.weight, 1);
    if (bin === index) mine.push(file.id);
  }
  return mine;
}
