/**
 * A run as the server shows it (the dashboard, `server.runs()`): its state
 * read at one moment, with what only the host knows (held deqs, frames).
 * Pure.
 */
import { nodeLabel } from '../../protocol/nodeLabel';
import * as machine from '../run/runMachine';
import { phaseOf, summaryOf, type RunState } from '../run/runState';
import type { FrameRecord, RunSnapshot } from '../types';

export interface SnapshotExtras {
  readonly keyIndex: number;
  /** Nodes with a deq held here. */
  readonly waiting: ReadonlySet<number>;
  /** Frames recorded (recordFrames), or undefined. */
  readonly frames: FrameRecord[] | undefined;
}

export function snapshotOf(state: RunState, ctx: machine.MachineContext, { keyIndex, waiting, frames }: SnapshotExtras): RunSnapshot {
  const snapshot: RunSnapshot = {
    runKey: state.identity.runKey,
    buildId: state.identity.buildId,
    keyIndex,
    state: phaseOf(state),
    meta: state.meta,
    nodes: state.nodes.map(n => ({
      index: n.index,
      ...(n.shard === undefined ? {} : { shard: n.shard }),
      label: nodeLabel(n.index, n.shard),
      ...(n.nodeId === undefined ? {} : { nodeId: n.nodeId }),
      ...(n.workers === undefined ? {} : { workers: n.workers }),
      connected: machine.isConnected(n, ctx),
      left: n.left,
      lost: n.lost,
      waiting: waiting.has(n.index),
      filesReported: n.filesReported,
    })),
    enqueued: { ...state.enqueued },
    results: Object.fromEntries(state.results),
    queued: state.queue.toArray(),
    leased: state.leases.toRecord(),
    retries: Object.fromEntries(state.failedOn),
    failedAttempts: Object.fromEntries([...state.failedAttempts].map(([id, attempts]) => [id, attempts.map(a => ({ node: a.node, entry: a.entry }))])),
    summary: summaryOf(state),
    warnings: state.droppedWarnings > 0 ? [...state.warnings, `… ${state.droppedWarnings} more`] : [...state.warnings],
  };
  if (state.parts.size > 0) {
    snapshot.parts = Object.fromEntries([...state.parts].map(([id, spec]) => [id, { ...spec, ...(state.partResults.has(id) ? { result: state.partResults.get(id)! } : {}) }]));
  }
  if (frames !== undefined) snapshot.frames = frames;
  return snapshot;
}
