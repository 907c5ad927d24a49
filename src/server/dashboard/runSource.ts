/**
 * The runs the dashboard shows, as it needs them: identities, meta and
 * snapshots. The one place that knows the server's run registry; the rest of
 * the dashboard sees only RunSource. (With Redis, the runs this server
 * holds: those some node of which reached it.)
 */
import type { FileEntry } from '../../protocol/types';
import type { KeyRing } from '../host/KeyRing';
import type { RunIdentity } from '../run/runState';
import type { RunHost } from '../host/RunHost';
import type { RunRegistry } from '../host/RunRegistry';
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
  const held = (host: RunHost): HeldRun => {
    const keyIndex = keys.indexOfHash(host.identity.keyHash);
    return { identity: host.identity, meta: host.state.meta, keyIndex, snapshot: () => host.snapshot(keyIndex), resultOf: id => host.state.results.get(id)?.entry };
  };
  return {
    runs: () => registry.hosts().map(held),
    find: identity => {
      const host = registry.held(identity);
      return host === undefined ? undefined : held(host);
    },
  };
}
