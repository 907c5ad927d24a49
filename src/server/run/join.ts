/**
 * A channel joins a run: a new node, or an old one back by its node_id
 * (pure). When nobody has been asked to enqueue, the joining node is.
 */
import { Extensions } from '../../protocol/constants';
import type { Joined } from '../../protocol/replies';
import type { JoinPayload } from '../../protocol/types';
import { isConnected } from './liveness';
import { continueEarlier, nothingToRetry, retryReply, retrySameRun, type EarlierAttempt } from './retryAttempt';
import { isEnqueued, isFinished, type NodeState, type RunState } from './runState';
import { partsAmong } from './deq';
import type { MachineContext, MachineSettings, Member, Transition } from './Transition';

/** Why this join cannot be taken, if it cannot: a run does not grow without bound. */
export function refuseJoin(state: RunState, payload: JoinPayload, settings: MachineSettings): string | undefined {
  const nodes = state.nodes.length - state.attemptFirstNode;
  if ((payload.node_id !== undefined && state.byNodeId.has(payload.node_id)) || nodes < settings.maxNodesPerRun) return undefined;
  return `this run already has ${nodes} nodes (limit ${settings.maxNodesPerRun}); a rejoin must send its node_id`;
}

/**
 * A channel joins: a new node (a join without node_id, or an unknown one)
 * or an old one back (its node_id). Returns the member the channel speaks
 * as, and the reply. When nobody has been asked to enqueue, this node is.
 * `earlier` and `quarantine`: what a retried job takes over, read by the
 * host before deciding.
 */
export function join(tr: Transition, payload: JoinPayload, earlier?: EarlierAttempt, quarantine?: Array<[string, string]>): { member: Member; joined: Joined } {
  const { state, ctx } = tr;
  // A rejoin (a known node_id) is a node of the run coming back, never a retried job.
  const retryRun = payload.node_id !== undefined && state.byNodeId.has(payload.node_id) ? undefined : payload.retry_run;
  if (retryRun !== undefined) retrySameRun(tr, retryRun, quarantine);
  let node = payload.node_id === undefined ? undefined : state.byNodeId.get(payload.node_id);
  const rejoin = node !== undefined;
  if (node === undefined) {
    tr.emit({ t: 'join', index: state.nodes.length, nodeId: payload.node_id, workers: payload.workers, ...(payload.shard === undefined ? {} : { shard: payload.shard }), at: ctx.now });
    node = state.nodes[state.nodes.length - 1]!;
  }
  const parts = payload.accepts?.includes(Extensions.parts) === true;
  const cancel = payload.accepts?.includes(Extensions.cancel) === true;
  const warm = payload.warm !== undefined && payload.warm.length > 0 ? { warm: payload.warm } : {};
  tr.emit({ t: 'attach', node: node.index, instance: ctx.instance, workers: payload.workers, ...(parts ? { parts } : {}), ...(cancel ? { cancel } : {}), ...warm, at: ctx.now });
  if (retryRun !== undefined) continueEarlier(tr, retryRun, earlier);
  // A rejoining node learns what it holds: the reply to a deq sent just
  // before the connection dropped may never have reached it.
  const leases = rejoin ? state.leases.heldBy(node.index) : undefined;
  const held = leases === undefined ? undefined : partsAmong(state, leases);
  const retry = retryReply(state) ?? (retryRun?.again === true ? nothingToRetry(state) : undefined);
  const joined: Joined = {
    nodeIndex: node.index,
    enqueued: isEnqueued(state),
    ...(leases === undefined ? {} : { leases }),
    ...(held === undefined ? {} : { parts: held }),
    ...(isFinished(state) ? { finished: true } : {}),
    ...(retry === undefined ? {} : { retryRun: retry }),
    // The quarantine the run opened with: the same for every node, whenever it joins.
    ...(state.quarantine.length > 0 ? { quarantine: state.quarantine } : {}),
  };
  if (!isEnqueued(state) && needsEnqueuer(state, node, ctx)) tr.emit({ t: 'enqRequest', node: node.index });
  return { member: { index: node.index, generation: node.generation }, joined };
}

/**
 * Nobody will enqueue unless this node does: nobody was asked, or the node
 * asked has no channel (its server restarted or died; it may be back
 * within its grace, and then both enqueue: the second enq is ignored).
 */
function needsEnqueuer(state: RunState, joining: NodeState, ctx: MachineContext): boolean {
  if (state.enqueuer === -1) return true;
  const asked = state.nodes[state.enqueuer];
  return asked !== undefined && asked !== joining && !isConnected(asked, ctx);
}
