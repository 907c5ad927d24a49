/**
 * The passing of time, decided from timestamps whenever the server sweeps
 * (pure): leases checked by their time, as ci-queue's reserve_lost does,
 * with no timer per lease.
 */
import { quoteId } from '../../protocol/requests';
import { goneSince } from './liveness';
import { isFinished, type NodeState, type RunState } from './runState';
import { finishIfComplete, handOverEnqueue, takeBack } from './steps';
import type { MachineContext, Transition } from './Transition';

/** Whether a sweep may change anything: a node gone past its grace, or a lease past its timeout. */
export function isSweepDue(state: RunState, ctx: MachineContext): boolean {
  if (isFinished(state)) return false;
  for (const node of state.nodes) {
    if (node.left || node.lost) continue;
    const since = goneSince(node, ctx);
    if (since !== undefined && since + ctx.settings.reconnectGraceMs <= ctx.now) return true;
  }
  return state.leases.olderThan(ctx.now - ctx.settings.leaseTimeoutMs).length > 0;
}

/**
 * The passing of time, decided from timestamps whenever the server sweeps:
 * nodes gone past the reconnect grace are lost (their files go back, the
 * files they were running are noted against them), and leases older than
 * the lease timeout go back to the queue.
 */
export function sweep(tr: Transition): void {
  const { state, ctx } = tr;
  if (isFinished(state)) return;
  for (const node of state.nodes) {
    if (node.left || node.lost) continue;
    const since = goneSince(node, ctx);
    if (since === undefined || since + ctx.settings.reconnectGraceMs > ctx.now) continue;
    lose(tr, node);
  }
  const expired = state.leases.olderThan(ctx.now - ctx.settings.leaseTimeoutMs);
  if (expired.length > 0) {
    const byNode = new Map<number, string[]>();
    for (const id of expired) {
      const holder = state.leases.holder(id)!;
      byNode.set(holder, [...(byNode.get(holder) ?? []), id]);
    }
    for (const [holder, ids] of byNode) takeBack(tr, ids, `lease of node ${holder} expired`);
  }
}

/**
 * `node` is gone past its grace. The files it said it was running (or the
 * one file it held, if it never said) are noted against it; a file noted
 * against maxCrashesPerFile nodes is recorded as failed rather than handed
 * to the next node to take down. The rest go back to the queue.
 */
function lose(tr: Transition, node: NodeState): void {
  const { state, ctx } = tr;
  const held = state.leases.heldBy(node.index);
  const suspects = node.running === undefined ? (held.length === 1 ? held : []) : node.running.filter(id => state.leases.holds(id, node.index));
  tr.emit({ t: 'lost', node: node.index, suspects });
  for (const id of suspects) {
    const nodes = state.crashedOn.get(id) ?? [];
    if (nodes.length < ctx.settings.maxCrashesPerFile) continue;
    tr.emit({ t: 'crashed', id, nodes: [...nodes], at: ctx.now });
    tr.warn(`${quoteId(id)} recorded as failed: nodes ${nodes.join(', ')} died while running it`);
  }
  takeBack(tr, state.leases.heldBy(node.index), `node ${node.index} did not come back`);
  if (node.index === state.enqueuer) handOverEnqueue(tr);
  finishIfComplete(tr);
}
