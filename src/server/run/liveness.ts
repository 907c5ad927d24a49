/**
 * Whether a node is there: one place decides it, for every transition
 * (pure). A node is connected while its channel is joined on a server that
 * is up; gone since its channel went, or since its server died.
 */
import type { NodeState, RunState } from './runState';
import type { MachineContext, Member } from './Transition';

/** The node's channel is joined on a server that is up. */
export function isConnected(node: NodeState, ctx: MachineContext): boolean {
  return node.attachedTo !== undefined && ctx.isAlive(node.attachedTo);
}

/** Connected and not left: may be handed files. */
export function isAvailable(node: NodeState, ctx: MachineContext): boolean {
  return !node.left && isConnected(node, ctx);
}

/**
 * Since when the node has had no channel, or undefined while it has one. A
 * node with no record of its channel (a journal written before channels
 * were recorded) is gone since this server started.
 */
export function goneSince(node: NodeState, ctx: MachineContext): number | undefined {
  if (node.attachedTo === undefined) return node.detachedAt ?? ctx.deadSince('');
  return ctx.isAlive(node.attachedTo) ? undefined : ctx.deadSince(node.attachedTo);
}

/**
 * The node may still send what it has not (its last results, its coverage
 * record): it has not left and is not lost, and it is connected or went
 * less than handoffAfterMs ago. A machine that died is not waited for
 * longer than its files are (they go to others then), though it keeps its
 * reconnect grace for anything else.
 */
export function mayStillReport(node: NodeState, ctx: MachineContext): boolean {
  if (node.left || node.lost) return false;
  const gone = goneSince(node, ctx);
  return gone === undefined || ctx.now - gone < ctx.settings.handoffAfterMs;
}

/** The node, if `member` is its current channel and that channel is on this server. */
export function current(state: RunState, member: Member, ctx: MachineContext): NodeState | undefined {
  const node = state.nodes[member.index];
  return node !== undefined && node.generation === member.generation && node.attachedTo === ctx.instance ? node : undefined;
}

export function available(state: RunState, ctx: MachineContext): NodeState[] {
  return state.nodes.filter(node => isAvailable(node, ctx));
}
