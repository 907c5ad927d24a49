/**
 * The change a page applies for one run record (pure). A delta carries what
 * the page shows, never the record's bulk: an `enq` of 100,000 files becomes
 * its count, a result its status, counts and the first lines of its failure.
 */
import { crashedEntry } from '../../protocol/entries';
import type { RunEvent as RunRecord } from '../run/runEvents';
import { failuresOf, resultView } from './resultView';
import { nodeLabel } from '../../protocol/nodeLabel';
import type { RunDelta } from './types';

/**
 * The delta for `record`, seen at `at` (server ms); undefined for records the
 * page has no use for (`open`). `finish` is left to the caller, which adds
 * the summary once the run has computed it. `quarantine`: the run's
 * quarantined tests of a file.
 */
export function runDelta(record: RunRecord, at: number, quarantine?: (file: string) => ReadonlySet<string> | undefined): RunDelta | undefined {
  switch (record.t) {
    case 'join':
      return { t: 'join', at, node: record.index, label: nodeLabel(record.index, record.shard), workers: record.workers ?? null };
    case 'enq':
      return { t: 'enq', at, total: Object.keys(record.tests).length };
    case 'lease':
      return { t: 'lease', at, node: record.node, ids: [...record.ids] };
    case 'result':
      return { t: 'result', at, id: record.id, result: resultView(record.entry, record.node, quarantine?.(record.id)) };
    case 'crashed':
      return { t: 'result', at, id: record.id, result: resultView(crashedEntry(record.nodes), record.nodes[record.nodes.length - 1]!), crashed: true };
    case 'retry':
      return { t: 'retry', at, node: record.node, id: record.id, ...(record.entry === undefined ? {} : { failures: failuresOf(record.entry) }) };
    case 'warn':
      return { t: 'warn', at, message: record.message };
    case 'requeue':
      return { t: 'requeue', at, ids: [...record.ids] };
    case 'leave':
      return { t: 'leave', at, node: record.node };
    case 'lost':
      return { t: 'lost', at, node: record.node };
    default:
      return undefined;
  }
}

/** Records that change a run's row in the runs list (lease, requeue and retry do not; a retried job's attempt does). */
export function changesListItem(record: RunRecord): boolean {
  return record.t === 'join' || record.t === 'enq' || record.t === 'result' || record.t === 'crashed' || record.t === 'finish' || record.t === 'attempt';
}
