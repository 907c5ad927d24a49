/**
 * The share of files a node runs when the orchestrator cannot be reached.
 * Every node must compute the same split without talking to the others, so
 * it uses only what is the same on every node of a commit: the test ids and
 * the files' sizes. (Durations in Jest's cache are local to each machine; a
 * split on them could differ between nodes and drop files.) Pure.
 */
export interface WeightedFile {
  readonly id: string;
  /** Estimated cost; bigger runs longer. */
  readonly weight: number;
}

/** Longest-first greedy split into `total` bins; returns the ids of bin `index`. */
export function fallbackShare(files: readonly WeightedFile[], index: number, total: number): string[] {
  if (!Number.isInteger(total) || total < 1) throw new RangeError(`total must be a positive integer, got ${total}`);
  if (!Number.isInteger(index) || index < 0 || index >= total) throw new RangeError(`index must be in [0, ${total}), got ${index}`);
  const sorted = [...files].sort((a, b) => b.weight - a.weight || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
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
