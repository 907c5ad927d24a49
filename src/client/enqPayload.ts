import type { FastCiConfig } from '../config';
import { Extensions, type Extension } from '../protocol/constants';
import type { EnqPayload, EntryMap } from '../protocol/types';

/**
 * The `enq` payload for the run's files. `retry` is an extension the
 * reference server ignores; the others go only to a server that lists
 * theirs (`supports`). `bail`: Jest's --bail, failed files that stop the run.
 */
export function enqPayload(config: FastCiConfig, tests: EntryMap, supports: (extension: Extension) => boolean, bail = 0): EnqPayload {
  const payload: EnqPayload = config.retry > 0 ? { tests, retry: config.retry } : { tests };
  if (!config.backups && supports(Extensions.backups)) payload.backups = false;
  if (bail > 0 && supports(Extensions.bail)) payload.bail = bail;
  if (supports(Extensions.parts)) {
    if (config.nodeTotal !== undefined) payload.nodes = config.nodeTotal;
    if (!config.split) payload.split = false;
    else if (config.noSplit !== undefined) {
      const noSplit = config.noSplit;
      const ids = Object.keys(tests).filter(id => noSplit.test(id));
      if (ids.length > 0) payload.no_split = ids;
    }
  }
  return payload;
}
