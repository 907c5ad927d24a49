/**
 * What a node says of itself besides `deq`: `leave`, a channel gone
 * (detach), the files it is running (`running`), and the check of its file
 * set (`files`) (pure).
 */
import { OK, Refusals, STALE, refused, withRetry, type Answer } from '../../protocol/replies';
import { parseDeqPayload, parseFilesPayload } from '../../protocol/requests';
import { current } from './liveness';
import { enqueuedCount, isEnqueued, type RunState } from './runState';
import { handOverEnqueue, recordResults, takeBack } from './steps';
import type { MachineContext, Member, Transition } from './Transition';

/** Most files a node may say it runs at once (its workers are capped at 1024). */
export const MAX_RUNNING = 1_024;

/**
 * `leave`: records the results its payload may carry (a node that bails
 * reports its last files as it leaves), then the node's other files go back
 * to the queue at once.
 */
export function leave(tr: Transition, member: Member, payload: unknown): Answer {
  const { state, ctx } = tr;
  const node = current(state, member, ctx);
  if (node === undefined) return STALE;
  const parsed = parseDeqPayload(payload, ctx.settings.maxFilesPerRun);
  if (!parsed.ok) return refused(parsed.reason.replace(/^deq /, 'leave '));
  const retried = recordResults(tr, node, parsed.value);
  tr.emit({ t: 'leave', node: node.index });
  takeBack(tr, state.leases.heldBy(node.index), `node ${node.index} left`);
  if (node.index === state.enqueuer) handOverEnqueue(tr);
  return withRetry(OK, retried);
}

/** The channel is gone (socket closed, phx_leave, a newer join): the node's files wait for its rejoin. */
export function detach(tr: Transition, member: Member): void {
  const node = current(tr.state, member, tr.ctx);
  if (node === undefined) return;
  tr.emit({ t: 'detach', node: node.index, at: tr.ctx.now });
}

/** `running` (extension): the files the node runs now; if it dies, they are the suspects. */
export function running(tr: Transition, member: Member, payload: unknown): Answer {
  const node = current(tr.state, member, tr.ctx);
  if (node === undefined) return STALE;
  const tests = (payload as { tests?: unknown } | null)?.tests;
  if (!Array.isArray(tests) || tests.length > MAX_RUNNING || !tests.every(id => typeof id === 'string')) {
    return refused(`running payload must be {"tests": [<test id>, ...]} with at most ${MAX_RUNNING} ids`);
  }
  tr.emit({ t: 'running', node: node.index, ids: tests as string[] });
  return OK;
}

/** `files` (extension): whether the run's file set is the one the node found, or the run's ids to compare. Causes nothing. */
export function checkFiles(state: RunState, member: Member, payload: unknown, ctx: MachineContext): Answer {
  if (current(state, member, ctx) === undefined) return STALE;
  const parsed = parseFilesPayload(payload);
  if (!parsed.ok) return refused(parsed.reason);
  if (!isEnqueued(state)) return refused(Refusals.notEnqueued);
  const match = parsed.value.count === enqueuedCount(state) && parsed.value.digest === state.digest;
  return match ? { kind: 'files', match } : { kind: 'files', match, tests: Object.keys(state.enqueued!).sort() };
}
