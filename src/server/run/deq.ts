/**
 * `deq`: a node's results in, its next files out (pure). Which files may go
 * to which node, and what an idle node is told when nothing is queued.
 */
import { LEFT, STALE, refused, withRetry, work, type Answer } from '../../protocol/replies';
import { parseDeqPayload } from '../../protocol/requests';
import type { PartSpec } from '../../protocol/types';
import { backupsFor, freeSlots } from './backups';
import { available, current } from './liveness';
import { isFinished, summaryOf, type NodeState, type RunState } from './runState';
import { batchSize, decideDeq, pickBatch } from './scheduling';
import { recordResults } from './steps';
import type { MachineContext, Member, Transition } from './Transition';

/** What the parts among `ids` run, or undefined when none is a part. */
export function partsAmong(state: RunState, ids: readonly string[]): Record<string, PartSpec> | undefined {
  if (state.parts.size === 0) return undefined;
  const found = ids.filter(id => state.parts.has(id));
  return found.length === 0 ? undefined : Object.fromEntries(found.map(id => [id, state.parts.get(id)!]));
}

// ---- Scheduling queries. ----------------------------------------------------

/**
 * A file that failed on `node` goes elsewhere while another node is there
 * to take it; with nobody else left, `node` retries it itself.
 */
export function mayRun(state: RunState, node: NodeState, ctx: MachineContext): (id: string) => boolean {
  // Parts go only to clients that said they can run them.
  const canRun = node.acceptsParts || state.parts.size === 0 ? () => true : (id: string) => !state.parts.has(id);
  if (state.failedOn.size === 0) return canRun;
  const others = available(state, ctx).some(n => n.index !== node.index);
  return id => canRun(id) && (!others || !(state.failedOn.get(id)?.includes(node.index) ?? false));
}

/** Some queued file may go to `node` now. */
export function hasWorkFor(state: RunState, node: NodeState, ctx: MachineContext): boolean {
  if (state.queue.length === 0) return false;
  return (state.failedOn.size === 0 && (node.acceptsParts || state.parts.size === 0)) || state.queue.some(mayRun(state, node, ctx));
}

/**
 * `deq`: records the results it carries, then answers: the next batch,
 * `[]` (done, or "report yours"), or nothing yet (`hold`: the host answers
 * it when work comes back, with serveHeld). `retried`: failures in these
 * results that are not final; every answer to this deq must name them.
 */
export function deq(tr: Transition, member: Member, payload: unknown): { answer?: Answer; hold?: true; retried: string[] } {
  const { state, ctx } = tr;
  const node = current(state, member, ctx);
  if (node === undefined) return { answer: STALE, retried: [] };
  // A left node gets no reconnect grace, so files leased to it now would be stuck until the lease timeout.
  if (node.left) return { answer: LEFT, retried: [] };
  const parsed = parseDeqPayload(payload, ctx.settings.maxFilesPerRun);
  if (!parsed.ok) return { answer: refused(parsed.reason), retried: [] };
  const retried = recordResults(tr, node, parsed.value);
  const answer = serve(tr, node);
  return answer === undefined ? { hold: true, retried } : { answer: withRetry(answer, retried), retried };
}

/** A held deq, asked again: its answer now, or undefined to keep holding it. */
export function serveHeld(tr: Transition, member: Member): Answer | undefined {
  const node = current(tr.state, member, tr.ctx);
  if (node === undefined) return undefined;
  return serve(tr, node);
}

/** Copies of a gone node's files for `node`, at most `max`, handed out (a `copy` event). */
function goneCopies(tr: Transition, node: NodeState, max: number): string[] {
  if (max <= 0) return [];
  const copies = backupsFor(tr.state, node, tr.ctx, { max, goneOnly: true });
  if (copies.length > 0) tr.emit({ t: 'copy', node: node.index, ids: copies, at: tr.ctx.now });
  return copies;
}

/** A batch for `node` when some node said which files its Jest cache is warm for (scheduling.ts, pickBatch). */
function warmBatch(state: RunState, node: NodeState, nodes: readonly NodeState[], size: number, ctx: MachineContext): string[] {
  const fileOf = (id: string): string => state.parts.get(id)?.file ?? id;
  const others = nodes.filter(n => n !== node && n.warm !== undefined);
  return pickBatch(
    {
      queue: state.queue,
      accept: mayRun(state, node, ctx),
      seconds: id => state.durations.get(id) ?? 0,
      warmHere: id => node.warm?.has(fileOf(id)) ?? false,
      warmOn: id => others.filter(n => n.warm!.has(fileOf(id))).map(n => n.index),
      slots: nodes.reduce((sum, n) => sum + Math.max(1, n.workers ?? 1), 0),
    },
    size,
  );
}

function serve(tr: Transition, node: NodeState): Answer | undefined {
  const { state, ctx } = tr;
  const queued = hasWorkFor(state, node, ctx) ? state.queue.length : 0;
  switch (decideDeq({ finished: isFinished(state), queued, holdsLeases: state.leases.hasAny(node.index) })) {
    case 'done':
      return work([], summaryOf(state));
    case 'batch': {
      const nodes = available(state, ctx);
      const size = batchSize(state.queue.length, nodes.length, node.workers);
      // A gone node's files first: nobody runs them, and they were handed out before anything queued. One
      // a free worker: a copy behind another file here would wait, while a worker elsewhere may free first.
      const copies = goneCopies(tr, node, Math.min(size, Math.max(1, freeSlots(state, node))));
      const ids = nodes.some(n => n.warm !== undefined) ? warmBatch(state, node, nodes, size - copies.length, ctx) : state.queue.peekFront(size - copies.length, mayRun(state, node, ctx));
      if (ids.length > 0) tr.emit({ t: 'lease', node: node.index, ids, at: ctx.now });
      return work([...copies, ...ids], undefined, partsAmong(state, [...copies, ...ids]));
    }
    case 'drain': {
      // The node still runs files, but a worker of it is free: a gone node's files fill it.
      const copies = goneCopies(tr, node, freeSlots(state, node));
      return copies.length === 0 ? work([]) : work(copies, undefined, partsAmong(state, copies));
    }
    case 'hold': {
      // Nothing queued: an idle node takes backup copies of the files of gone or slow nodes.
      const copies = backupsFor(state, node, ctx);
      if (copies.length === 0) return undefined;
      tr.emit({ t: 'copy', node: node.index, ids: copies, at: ctx.now });
      return work(copies, undefined, partsAmong(state, copies));
    }
  }
}
