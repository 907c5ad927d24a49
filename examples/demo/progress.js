'use strict';
/**
 * The one-line view of the whole run, from the server's snapshot: files
 * with a result out of the files enqueued, and per node how many results it
 * has reported and how many files it holds without a reported result
 * (`+n`: running, or finished with the result riding on its next `deq`).
 */

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;

function seconds(ms) {
  return `${(ms / 1000).toFixed(1)} s`;
}

/**
 * @param {import('jest-fast-ci/server').RunSnapshot | undefined} run
 * @param {number} elapsedMs since the nodes were started
 * @returns {string}
 */
function formatProgress(run, elapsedMs) {
  const clock = seconds(elapsedMs);
  if (run === undefined || run.nodes.length === 0) return `▸ starting the nodes… · ${clock}`;
  const total = Object.keys(run.enqueued).length;
  if (total === 0) return `▸ ${run.nodes.length} joined, waiting for node 0 to enqueue the files · ${clock}`;

  const done = new Map();
  for (const { nodeIndex } of Object.values(run.results)) done.set(nodeIndex, (done.get(nodeIndex) ?? 0) + 1);
  const running = new Map();
  for (const nodeIndex of Object.values(run.leased)) running.set(nodeIndex, (running.get(nodeIndex) ?? 0) + 1);

  const perNode = run.nodes.map(node => {
    const busy = running.get(node.index) ?? 0;
    const state = node.left ? ' ✓' : busy > 0 ? ` (+${busy})` : '';
    return `node ${node.index}: ${done.get(node.index) ?? 0}${state}`;
  });
  const finished = Object.keys(run.results).length;
  return `▸ ${finished}/${total} files · ${perNode.join(' · ')} · ${clock}`;
}

/** Files done out of total from a plain jest run's output, which has no server to ask. */
function countFinishedFiles(line) {
  // Jest prints one PASS or FAIL line per file, with colour codes around the word when colours are on.
  return /^\s*(PASS|FAIL)\s/.test(line.replace(ANSI, '')) ? 1 : 0;
}

module.exports = { formatProgress, countFinishedFiles, seconds };
