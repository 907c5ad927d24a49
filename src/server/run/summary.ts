import type { FileEntry, RunSummary } from '../../protocol/types';

/**
 * Whole-run figures from the recorded results (pure). `failedBefore` holds
 * the files that failed on some node before their recorded result; those
 * that then passed are flaky. `quarantined`: failed files whose every
 * failure is a quarantined test's, counted apart from the failed ones.
 */
export function summarize(
  results: Iterable<[string, { entry: FileEntry; nodeIndex: number; attempt?: number }]>,
  nodes: number,
  failedBefore: ReadonlyMap<string, readonly number[]> = new Map(),
  attempt = 1,
  quarantined: ReadonlySet<string> = new Set(),
): RunSummary {
  const summary: RunSummary = { files: 0, passed: 0, failed: 0, pending: 0, tests: 0, nodes, files_by_node: {} };
  const flaky: string[] = [];
  const masked: string[] = [];
  let kept = 0;
  for (const [id, { entry, nodeIndex, attempt: recordedIn }] of results) {
    if (entry.file_status !== 'failed' && failedBefore.has(id)) flaky.push(id);
    summary.files += 1;
    if (entry.file_status === 'failed' && quarantined.has(id)) masked.push(id);
    else summary[entry.file_status] += 1;
    summary.tests += entry.test_count;
    // A result kept from an earlier attempt (a retry run) was run by that attempt's nodes, not this one's.
    if ((recordedIn ?? 1) < attempt) {
      kept += 1;
      continue;
    }
    const key = String(nodeIndex);
    summary.files_by_node[key] = (summary.files_by_node[key] ?? 0) + 1;
  }
  if (flaky.length > 0) summary.flaky = flaky.sort();
  if (masked.length > 0) summary.quarantined = masked.sort();
  if (kept > 0) summary.kept = kept;
  return summary;
}
