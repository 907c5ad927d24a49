/** `enq`: the run's files, once (pure). */
import { OK, Refusals, STALE, refused, type Answer } from '../../protocol/replies';
import { parseEnqBackups, parseEnqBail, parseEnqPayload, parseEnqRetry, parseEnqSplit } from '../../protocol/requests';
import type { EntryMap } from '../../protocol/types';
import { available, current } from './liveness';
import { enqueuedCount, isEnqueued, type RunState } from './runState';
import { planParts } from './scheduling';
import { finishIfComplete } from './steps';
import type { EnqHistory, Member, Transition } from './Transition';

/** `enq`: the run's files, once. `durations` gives each file's expected seconds (the client's, else the history's). */
export function enq(tr: Transition, member: Member, payload: unknown, history: EnqHistory): Answer {
  const { state, ctx } = tr;
  const node = current(state, member, ctx);
  if (node === undefined) return STALE;
  const parsed = parseEnqPayload(payload, ctx.settings.maxFilesPerRun);
  if (!parsed.ok) return refused(parsed.reason);
  const tests = parsed.value;
  // An empty run would finish at once and pass every node that joins it, having run nothing.
  if (Object.keys(tests).length === 0) return refused(Refusals.emptyEnq);
  const retry = parseEnqRetry(payload);
  if (!retry.ok) return refused(retry.reason);
  const backups = parseEnqBackups(payload);
  if (!backups.ok) return refused(backups.reason);
  const split = parseEnqSplit(payload, ctx.settings.maxFilesPerRun);
  if (!split.ok) return refused(split.reason);
  const bail = parseEnqBail(payload, ctx.settings.maxFilesPerRun);
  if (!bail.ok) return refused(bail.reason);
  if (isEnqueued(state)) {
    const differ = differenceFrom(state, tests);
    if (differ > 0) return refused(`enq differs from the tests already enqueued for this run in ${differ} test ids`);
    tr.warn(`duplicate enq from node ${node.index} ignored (same tests)`);
    return OK;
  }
  const durations = history.durations(tests);
  // Split only for a client that runs parts; the slots are the workers of the nodes the run will have.
  // The node total a node sent (FAST_CI_NODE_TOTAL, the CI's), else the last run's node count, else the nodes here now.
  const slots = Math.max(split.value.nodes ?? history.nodes ?? 0, available(state, ctx).length) * Math.max(1, node.workers ?? 1);
  const plan =
    node.acceptsParts && split.value.split
      ? planParts(durations, history.tests, { slots, minSeconds: ctx.settings.splitMinSeconds, noSplit: new Set(split.value.noSplit) })
      : undefined;
  const parts = plan !== undefined && Object.keys(plan.parts).length > 0 ? plan : undefined;
  tr.emit({
    t: 'enq',
    tests,
    ...(retry.value > 0 ? { retry: retry.value } : {}),
    ...(backups.value ? {} : { backups: false as const }),
    ...(bail.value > 0 ? { bail: bail.value } : {}),
    durations: Object.fromEntries([...durations, ...(parts?.durations ?? [])]),
    ...(parts ? { parts: parts.parts } : {}),
    at: ctx.now,
  });
  if (parts) {
    const files = new Set(Object.values(parts.parts).map(spec => spec.file));
    tr.warn(`split ${files.size} slow file${files.size === 1 ? '' : 's'} into ${Object.keys(parts.parts).length} parts (${slots} slots)`);
  }
  return OK;
}

/** How many ids differ between `tests` and what is enqueued. */
function differenceFrom(state: RunState, tests: EntryMap): number {
  const enqueued = state.enqueued ?? {};
  const ids = Object.keys(tests);
  // Own keys only: ids like "toString" must not match Object.prototype.
  const shared = ids.filter(id => Object.hasOwn(enqueued, id)).length;
  return ids.length - shared + (enqueuedCount(state) - shared);
}

/** What the enq of a run causes once applied: finish at once if it is complete (never, with at least one file). */
export function afterEnq(tr: Transition): void {
  finishIfComplete(tr);
}
