/**
 * What a node says when the run's files are not the ones it found, or when
 * a batch cannot be right (pure).
 */

/** Examples named in a message; the rest are counted. */
const EXAMPLES = 5;

function examples(ids: readonly string[]): string {
  const shown = ids.slice(0, EXAMPLES).join(', ');
  return ids.length > EXAMPLES ? `${shown}, … (${ids.length - EXAMPLES} more)` : shown;
}

/** The message for a run whose file set differs from this node's: how many, which, and the likely cause. */
export function fileSetMismatch(local: readonly string[], run: readonly string[]): string {
  const inRun = new Set(run);
  const here = new Set(local);
  const notInRun = local.filter(id => !inRun.has(id)).sort();
  const notHere = run.filter(id => !here.has(id)).sort();
  const parts: string[] = [];
  if (notInRun.length > 0) {
    parts.push(`${notInRun.length} of the ${local.length} test files this node found are not in the run, so no node runs them (${examples(notInRun)})`);
  }
  if (notHere.length > 0) {
    parts.push(`${notHere.length} of the run's ${run.length} files are not on this node (${examples(notHere)})`);
  }
  return (
    `jest-fast-ci: this node's test files differ from the run's: ${parts.join('; ')}. ` +
    'Likely cause: different arguments or config on different shards. Every node must run the same jest command ' +
    '(no path filter or --testPathPattern on one shard only) with the same config (testMatch, projects) and checkout.'
  );
}

/** Why a batch of `count` distinct ids cannot be right for a node that has `local` test files, if it cannot. */
export function batchProblem(count: number, local: number): string | undefined {
  // Each file is handed out once per attempt: one reply can never hold more files than there are.
  if (count <= Math.max(local, 1)) return undefined;
  return (
    `jest-fast-ci: the orchestrator handed this node ${count} test files in one batch, more than the ${local} this node has. ` +
    'Nodes must run the same commit and Jest config; stopping instead of reporting each unknown file.'
  );
}
