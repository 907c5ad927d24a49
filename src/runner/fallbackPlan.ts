/**
 * What a node runs in fallback mode, and the words the warning gives for
 * it. The split itself is fallbackShare's; this reads what it weighs
 * (file sizes, the timings file as committed) and says how it split.
 */
import * as fs from 'node:fs';
import type { Test } from '@jest/test-result';
import type { FastCiConfig } from '../config';
import { fallbackShare, fallbackWeights, type FallbackWeights } from './fallbackShare';
import type { TestIds } from './TestIds';
import { readCommittedTimings, shownPath, type CommittedTimings } from './timingsFile';

export interface FallbackPlan {
  /** The files to run here. */
  readonly share: Test[];
  /** Which files and why, for the warning line. */
  readonly what: string;
}

/**
 * With a known shard index and count, this shard's share of a split every
 * node computes alike; otherwise every file. Either way less what this
 * node already ran (`ranHere`).
 */
export function fallbackPlan(config: FastCiConfig, tests: Test[], ids: TestIds, ranHere: (id: string) => boolean, rootDir: string): FallbackPlan {
  let share = tests;
  let what: string;
  if (config.nodeIndex !== undefined && config.nodeTotal !== undefined) {
    // The split covers every file and reads only what every node of the
    // commit has alike (sizes, the committed timings), so all nodes compute the same one.
    const timings = config.timingsFile === undefined ? undefined : readCommittedTimings(config.timingsFile);
    const sized = tests.map(test => ({ id: ids.id(test), size: fileSize(test.path) }));
    const weights = fallbackWeights(sized, timings?.state === 'read' ? timings.durations : undefined);
    const mine = new Set(fallbackShare(weights.files, config.nodeIndex, config.nodeTotal));
    share = tests.filter(test => mine.has(ids.id(test)));
    const basis = splitBasis(timings, weights, rootDir);
    what = `running shard ${config.nodeIndex + 1} of ${config.nodeTotal}: ${share.length} of ${tests.length} files, split by ${basis}`;
  } else {
    what = `no shard index and count are known (FAST_CI_NODE_INDEX / FAST_CI_NODE_TOTAL), so running all ${tests.length} files here`;
  }
  const before = share.length;
  share = share.filter(test => !ranHere(ids.id(test)));
  if (share.length < before) what += `, less ${before - share.length} already run here`;
  return { share, what };
}

/** How the fallback split weighed the files, for the warning line. */
function splitBasis(timings: CommittedTimings | undefined, weights: FallbackWeights, rootDir: string): string {
  if (timings === undefined || timings.state === 'absent') return 'file size';
  const shown = shownPath(rootDir, timings.file);
  switch (timings.state) {
    case 'uncommitted':
      return `file size (${shown} is not committed, and only the committed file is the same on every node)`;
    case 'invalid':
      return `file size (${shown} is ignored: ${timings.reason})`;
    case 'read': {
      if (weights.timed === 0) return `file size (${shown} lists none of these files)`;
      const as = timings.from === 'HEAD' ? 'as committed' : 'outside git, as found';
      const rest = weights.timed < weights.files.length ? ', the rest estimated from their size' : '';
      return `the durations in ${shown}, ${as} (digest ${timings.digest}; ${weights.timed} of ${weights.files.length} files timed${rest})`;
    }
  }
}

function fileSize(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}
