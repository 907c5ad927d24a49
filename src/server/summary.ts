import type { FileEntry, RunSummary } from '../protocol/types';

/** Whole-run figures from the recorded results (pure). */
export function summarize(results: Iterable<{ entry: FileEntry; nodeIndex: number }>, nodes: number): RunSummary {
  const summary: RunSummary = { files: 0, passed: 0, failed: 0, pending: 0, tests: 0, nodes, files_by_node: {} };
  for (const { entry, nodeIndex } of results) {
    summary.files += 1;
    summary[entry.file_status] += 1;
    summary.tests += entry.test_count;
    const key = String(nodeIndex);
    summary.files_by_node[key] = (summary.files_by_node[key] ?? 0) + 1;
  }
  return summary;
}
