/** Where a node's time went, from its file queue's account (pure). */
import type { NodeRun } from '../nodeRun';

/** This node's start-up, then its workers' average busy and idle time, up to `endAt` (the run's end for this node). */
export function timingOf(queue: { firstStartAt: number | undefined; busyMs: number }, workers: number, endAt: number): NodeRun['timing'] {
  if (queue.firstStartAt === undefined) return undefined;
  const startupMs = Math.max(0, queue.firstStartAt - performance.timeOrigin);
  const busyMs = queue.busyMs / Math.max(1, workers);
  return { startupMs, busyMs, idleMs: Math.max(0, endAt - queue.firstStartAt - busyMs), workers };
}
