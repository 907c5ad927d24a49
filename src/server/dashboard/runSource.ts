/**
 * The runs the dashboard shows, as it needs them: identities, meta, the
 * counts and times the run's state answers (run/runState.ts is the one fold
 * of a run's events), snapshots, and the events as they are applied. The
 * one place that knows the server's run registry; the rest of the
 * dashboard sees only RunSource. (With Redis, the runs this server holds:
 * those some node of which reached it.)
 */
import type { FileEntry, RunSummary } from '../../protocol/types';
import type { QuarantineList } from '../../protocol/quarantine';
import type { KeyRing } from '../host/KeyRing';
import type { RunHost } from '../host/RunHost';
import type { RunRegistry } from '../host/RunRegistry';
import type { RunEvent } from '../run/runEvents';
import type { RunIdentity } from '../run/runIdentity';
import { countsOf, fileResultOf, isFinished, summaryOf, timelineOf, type RunCounts } from '../run/runState';
import type { Span } from '../run/Timeline';
import type { RunMeta, RunSnapshot } from '../types';

export interface HeldRun {
  readonly identity: RunIdentity;
  readonly meta: RunMeta;
  /** Position of the run's key among the server's keys; -1 for a key no longer configured. */
  readonly keyIndex: number;
  /** When the run was opened, and when it finished (server ms). */
  readonly startedAt: number;
  readonly finishedAt: number | undefined;
  counts(): RunCounts;
  timeline(): { timed: boolean; spans: Span[] };
  /** The summary, once finished. */
  summary(): RunSummary | null;
  /** The run's books now (cost: the size of the run). */
  snapshot(): RunSnapshot;
  /** The recorded result of one file. */
  resultOf(id: string): FileEntry | undefined;
  /** The run's quarantined tests (as it opened, or its retried job began): [file id, full name], and a file's by name. */
  quarantine(): QuarantineList;
  quarantineOf(id: string): ReadonlySet<string> | undefined;
  /** Stops the run (its key asked): nodes drop what they hold and are told it is done. */
  cancel(): Promise<void>;
}

export interface RunSource {
  /** Every run held, oldest first. */
  runs(): HeldRun[];
  find(identity: RunIdentity): HeldRun | undefined;
  /** Calls `listener` with each run's events as they are applied; returns the unsubscribe function. */
  onEvents(listener: (run: HeldRun, events: readonly RunEvent[]) => void): () => void;
  /** Calls `listener` with a run as it is evicted. */
  onEvict(listener: (run: HeldRun) => void): () => void;
}

export function registrySource(registry: RunRegistry, keys: KeyRing): RunSource {
  const held = (host: RunHost): HeldRun => {
    const keyIndex = keys.indexOfHash(host.identity.keyHash);
    const { state } = host;
    return {
      identity: host.identity,
      meta: state.meta,
      keyIndex,
      startedAt: state.openedAt,
      finishedAt: state.finishedAt,
      counts: () => countsOf(host.state),
      timeline: () => timelineOf(host.state),
      summary: () => (isFinished(host.state) ? summaryOf(host.state) : null),
      snapshot: () => host.snapshot(keyIndex),
      resultOf: id => fileResultOf(host.state, id)?.entry,
      quarantine: () => host.state.quarantine,
      // A part's result (live, before its file's is merged) by its file's quarantine.
      quarantineOf: id => host.state.quarantineByFile.get(host.state.parts.get(id)?.file ?? id),
      cancel: () => host.cancel(),
    };
  };
  return {
    runs: () => registry.hosts().map(held),
    find: identity => {
      const host = registry.held(identity);
      return host === undefined ? undefined : held(host);
    },
    onEvents: listener => registry.onEvents((host, events) => listener(held(host), events)),
    onEvict: listener => registry.onEvict(host => listener(held(host))),
  };
}
