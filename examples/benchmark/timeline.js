'use strict';
/**
 * Where the time of a multi-node run went, from the trace lines the test
 * files wrote (start/end of each file, node, worker pid) and the spawn/exit
 * times of the processes. All times are ms from the first spawn.
 *
 * Per node:
 *   firstStartMs  first file began: start-up cost of that node (plus, for
 *                 jest-fast-ci, join + first deq)
 *   lastEndMs     last file ended
 *   exitMs        last process of the node exited: lastEnd..exit is teardown
 *                 (and waiting for the rest of the run)
 *   busyMs        sum of file durations on the node
 *   utilization   busyMs / (workers x exitMs)
 *
 * lateStarts: files that started after some other node had already run its
 * last file. In a dynamic queue that node would have taken them, so each
 * is a file some node held (prefetched or in an oversized batch) while
 * another node sat idle; `heldIdleMs` sums how long those idle nodes waited
 * for such files to start.
 */

function analyze(result, workers) {
  const offset = result.t0Epoch;
  const files = result.trace.map(t => ({ ...t, start: t.start - offset, end: t.end - offset }));
  const byNode = new Map();
  for (const f of files) {
    if (!byNode.has(f.node)) byNode.set(f.node, []);
    byNode.get(f.node).push(f);
  }
  const exitOf = node => {
    // Processes are labelled "node i", "node i batch n", "shard i+1/N" or "plain".
    const mine = result.processes.filter(p => labelNode(p.label) === node);
    return mine.length > 0 ? Math.max(...mine.map(p => p.endMs)) : result.makespanMs;
  };
  const nodes = [...byNode.entries()]
    .map(([node, list]) => {
      list.sort((a, b) => a.start - b.start);
      const busyMs = list.reduce((s, f) => s + (f.end - f.start), 0);
      const exitMs = exitOf(node);
      return {
        node,
        files: list.length,
        firstStartMs: Math.round(list[0].start),
        lastEndMs: Math.round(Math.max(...list.map(f => f.end))),
        exitMs: Math.round(exitMs),
        busyMs: Math.round(busyMs),
        utilization: +(busyMs / (workers * exitMs)).toFixed(3),
      };
    })
    .sort((a, b) => Number(a.node) - Number(b.node));

  const lateStarts = [];
  for (const idle of nodes) {
    for (const f of files) {
      if (f.node !== idle.node && f.start > idle.lastEndMs + 50) {
        lateStarts.push({ id: f.id, ranOn: f.node, startMs: Math.round(f.start), ms: f.end - f.start, idleNode: idle.node, idleSinceMs: idle.lastEndMs });
      }
    }
  }
  // One row per file: the earliest idle node that could have taken it.
  const perFile = new Map();
  for (const l of lateStarts) if (!perFile.has(l.id) || perFile.get(l.id).idleSinceMs > l.idleSinceMs) perFile.set(l.id, l);
  const late = [...perFile.values()].sort((a, b) => b.ms - a.ms);
  return {
    nodes,
    lateStarts: late.slice(0, 10),
    lateStartCount: late.length,
    heldIdleMs: Math.round(late.reduce((s, l) => s + (l.startMs - l.idleSinceMs), 0)),
    lastFileEndMs: nodes.length ? Math.max(...nodes.map(n => n.lastEndMs)) : 0,
  };
}

function labelNode(label) {
  let m = /^node (\d+)/.exec(label);
  if (m) return m[1];
  m = /^shard (\d+)\//.exec(label);
  if (m) return String(Number(m[1]) - 1);
  return '0';
}

module.exports = { analyze };
