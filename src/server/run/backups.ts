/**
 * Backup copies (MapReduce's backup tasks): files of gone or slow nodes
 * that an idle node runs too, the first result counting (pure).
 */
import { available, goneSince } from './liveness';
import { isFinished, type NodeState, type RunState } from './runState';
import { batchSize } from './scheduling';
import type { MachineContext } from './Transition';

/**
 * Files another node holds that an idle node should run too, the first
 * result counting (MapReduce's backup tasks): those of a node gone for
 * handoffAfterMs (it may come back within its grace, but the run need not
 * wait for it), and those running longer than twice their expected
 * duration plus stragglerSlackMs. One copy per file. A file gone nodes were
 * running is copied only while fewer than maxCrashesPerFile nodes died with
 * it, so a file that kills its node does not take down every idle one.
 */
function backupCandidates(state: RunState, ctx: MachineContext): Array<{ id: string; holder: number; gone: boolean; since: number }> {
  if (!state.backups || isFinished(state)) return [];
  const { now, settings } = ctx;
  const found: Array<{ id: string; holder: number; gone: boolean; since: number }> = [];
  for (const [id, lease] of state.leases.entries()) {
    if (state.leases.copiesOf(id).length > 0) continue;
    const holder = state.nodes[lease.node];
    if (holder === undefined) continue;
    const gone = goneSince(holder, ctx);
    if (gone !== undefined) {
      const deaths = (state.crashedOn.get(id)?.length ?? 0) + 1;
      if (gone + settings.handoffAfterMs <= now && deaths < settings.maxCrashesPerFile) found.push({ id, holder: lease.node, gone: true, since: lease.at });
      continue;
    }
    const expectedMs = (state.durations.get(id) ?? 0) * 1000;
    if (now - lease.at > 2 * expectedMs + settings.stragglerSlackMs) found.push({ id, holder: lease.node, gone: false, since: lease.at });
  }
  // A gone node's files first, then the longest-running.
  return found.sort((a, b) => Number(b.gone) - Number(a.gone) || a.since - b.since);
}

/**
 * Copies `node` should take now: candidates it does not hold and did not
 * fail, at most `max` (default one batch). `goneOnly`: only files of gone
 * nodes, which go before queued files and into a busy node's free slots:
 * nobody else is running them.
 */
export function backupsFor(state: RunState, node: NodeState, ctx: MachineContext, options: { max?: number; goneOnly?: boolean } = {}): string[] {
  const others = available(state, ctx).some(n => n.index !== node.index);
  return backupCandidates(state, ctx)
    .filter(c => (!options.goneOnly || c.gone) && c.holder !== node.index && (node.acceptsParts || !state.parts.has(c.id)) && !(others && (state.failedOn.get(c.id)?.includes(node.index) ?? false)))
    .slice(0, options.max ?? batchSize(Infinity, 1, node.workers))
    .map(c => c.id);
}

/** Run slots `node` has free: its workers less the files it holds. */
export function freeSlots(state: RunState, node: NodeState): number {
  return Math.max(0, Math.max(1, node.workers ?? 1) - state.leases.heldBy(node.index).length);
}

/** Some file could be copied to an idle node now (the host then offers held deqs the copies). */
export function hasBackupWork(state: RunState, ctx: MachineContext): boolean {
  return state.queue.length === 0 && backupCandidates(state, ctx).length > 0;
}
