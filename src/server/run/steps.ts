/**
 * Steps several transitions share: recording results (first result wins,
 * failures retried elsewhere while the run allows, the other holders of a
 * file told to drop it), taking files back from a node, handing the
 * enqueue over, stopping a run (--bail, cancel), finishing a complete run
 * (pure).
 */
import { quoteId } from '../../protocol/requests';
import type { EntryMap, FileEntry } from '../../protocol/types';
import { available } from './liveness';
import { isComplete, isEnqueued, isFinished, isUnit, resultOf, type NodeState } from './runState';
import type { Transition } from './Transition';

/** Records each result; returns the failures that will run again on another node instead. */
export function recordResults(tr: Transition, node: NodeState, results: EntryMap): string[] {
  const retried = Object.entries(results)
    .filter(([id, entry]) => record(tr, node, id, entry))
    .map(([id]) => id);
  const { state } = tr;
  if (state.bail > 0 && !isFinished(state) && state.failedFiles >= state.bail) stopRun(tr, 'bail');
  finishIfComplete(tr);
  return retried;
}

/**
 * The run stops before every file ran (Jest's --bail reached, or its key
 * cancelled it): every node holding files is told to drop them, and the
 * run finishes; nodes asking for work are told it is done.
 */
export function stopRun(tr: Transition, why: 'bail' | 'cancelled'): void {
  const { state, ctx } = tr;
  if (isFinished(state)) return;
  tr.emit({ t: 'stop', why, at: ctx.now });
  const held = new Map<number, string[]>();
  for (const [id, lease] of state.leases.entries()) {
    for (const node of [lease.node, ...state.leases.copiesOf(id)]) held.set(node, [...(held.get(node) ?? []), id]);
  }
  for (const [node, ids] of held) tr.emit({ t: 'cancel', node, ids, at: ctx.now });
  tr.warn(why === 'bail' ? `stopped: ${state.failedFiles} files failed, the run's --bail (${state.bail})` : 'stopped: cancelled by its key');
  tr.emit({ t: 'finish', at: ctx.now });
}

/** Records one result (first result wins); true when it was a failure to retry on another node instead. */
function record(tr: Transition, node: NodeState, id: string, entry: FileEntry): boolean {
  const { state } = tr;
  const holder = state.leases.holder(id);
  // Its lease, or a backup copy: whichever result comes first counts.
  const holds = state.leases.holds(id, node.index);
  const failedOn = state.failedOn.get(id) ?? [];
  if (entry.file_status === 'failed') {
    // The same failure sent again after a lost reply that said "retry": still not final.
    if (failedOn.includes(node.index) && !holds && resultOf(state, id)?.nodeIndex !== node.index) return true;
    if (holds && failedOn.length < state.retry) {
      tr.emit({ t: 'retry', node: node.index, id, entry, at: tr.ctx.now });
      tr.warn(`retrying ${quoteId(id)}: it failed on node ${node.index} (failure ${failedOn.length + 1} of at most ${state.retry + 1} runs)`);
      return true;
    }
  }
  if (holds) {
    // Whoever else runs the file (its original, or a backup copy) is told to drop it: its result will not count.
    const others = [holder, ...state.leases.copiesOf(id)].filter((n): n is number => n !== undefined && n !== node.index);
    tr.emit({ t: 'result', node: node.index, id, entry, at: tr.ctx.now });
    for (const other of others) tr.emit({ t: 'cancel', node: other, ids: [id], at: tr.ctx.now });
    return false;
  }
  const had = resultOf(state, id);
  const why = !isUnit(state, id)
    ? state.partsOf.has(id)
      ? 'the file runs in parts: results come by part'
      : 'not a test of this run'
    : had !== undefined
      ? `already has a result from node ${had.nodeIndex}`
        : holder === undefined
          ? 'not leased to it (its lease was taken back)'
          : `leased to node ${holder}`;
  tr.warn(`ignored result for ${quoteId(id)} from node ${node.index}: ${why}`);
  return false;
}

/**
 * Takes files back from their holder: one another node holds a copy of
 * becomes that node's; the rest go to the front of the queue.
 */
export function takeBack(tr: Transition, ids: string[], why: string): void {
  const { state } = tr;
  if (ids.length === 0 || isFinished(state)) return;
  const requeue: string[] = [];
  for (const id of ids) {
    const to = state.leases.copiesOf(id).find(n => state.nodes[n] !== undefined && !state.nodes[n]!.left && !state.nodes[n]!.lost);
    if (to === undefined) requeue.push(id);
    else tr.emit({ t: 'promote', node: to, id });
  }
  if (requeue.length === 0) return;
  tr.emit({ t: 'requeue', ids: requeue, at: tr.ctx.now });
  tr.warn(`${requeue.length} files requeued: ${why}`);
}

/** The enqueuing node is gone before its enq landed: ask the lowest-index connected node, or the next to join. */
export function handOverEnqueue(tr: Transition): void {
  if (isEnqueued(tr.state)) return;
  const next = available(tr.state, tr.ctx)[0];
  tr.emit({ t: 'enqRequest', node: next === undefined ? -1 : next.index });
}

export function finishIfComplete(tr: Transition): void {
  if (!isFinished(tr.state) && isComplete(tr.state)) tr.emit({ t: 'finish', at: tr.ctx.now });
}
