/**
 * The runs the dashboard shows, as it needs them: identities, meta and
 * snapshots. The one place that knows the server's run registry; the rest of
 * the dashboard sees only RunSource.
 */
import type { FileEntry } from '../../protocol/types';
import type { KeyRing } from '../key-ring';
import type { RunIdentity } from '../run';
import type { RunRegistry } from '../run-registry';
import type { RunMeta, RunSnapshot } from '../types';

export interface HeldRun {
  readonly identity: RunIdentity;
  readonly meta: RunMeta;
  /** Position of the run's key among the server's keys; -1 for a key no longer configured. */
  readonly keyIndex: number;
  /** The run's books now (cost: the size of the run). */
  snapshot(): RunSnapshot;
  /** The recorded result of one file. */
  resultOf(id: string): FileEntry | undefined;
}

export interface RunSource {
  /** Every run held, oldest first. */
  runs(): HeldRun[];
  find(identity: RunIdentity): HeldRun | undefined;
}

export function registrySource(registry: RunRegistry, keys: KeyRing): RunSource {
  const find = (identity: RunIdentity): HeldRun | undefined => {
    const run = registry.find(identity);
    if (run === undefined) return undefined;
    const keyIndex = keys.indexOfHash(identity.keyHash);
    return { identity: run.identity, meta: run.meta, keyIndex, snapshot: () => run.snapshot(keyIndex), resultOf: id => run.results.get(id)?.entry };
  };
  return {
    runs: () =>
      registry.ids().flatMap(id => {
        const [keyHash, runKey, buildId] = JSON.parse(id) as [string, string, string];
        return find({ keyHash, runKey, buildId }) ?? [];
      }),
    find,
  };
}
