'use strict';
/**
 * The physical limit for a run, and checks that a run did all the work.
 *
 * Lower bound for N nodes with W workers each:
 *   max(total work / (N x W), longest file) + one Jest start-up
 * No schedule can beat it: the work cannot be spread thinner than N x W
 * slots, the longest file cannot be split, and every node pays at least one
 * start-up before its first file. The start-up term is one plain `jest` on a
 * one-file project, alone on the machine.
 *
 * For CPU-bound suites on this machine the slots are capped by the cores:
 * cpuBound uses min(N x W, cores) slots. That is not the issue's bound; it
 * is printed next to it to show how much of the gap is the shared CPU.
 */

function lowerBound({ totalMs, longestMs, nodes, workers, startupMs }) {
  return Math.max(totalMs / (nodes * workers), longestMs) + startupMs;
}

function cpuBound({ totalMs, longestMs, nodes, workers, startupMs, cores }) {
  return Math.max(totalMs / Math.min(nodes * workers, cores), longestMs) + startupMs;
}

/**
 * Throws unless the approach ran every file of the manifest exactly once
 * (by Jest's PASS lines, by the trace the files wrote, and, for jest-fast-ci,
 * by the server's results) and every process exited 0.
 */
function verify(result, manifest) {
  const want = manifest.files.map(f => f.id).sort();
  const problems = [];
  const failed = result.processes.filter(p => p.code !== 0);
  if (failed.length > 0) {
    problems.push(`${failed.length} process(es) exited non-zero: ${failed.map(p => `${p.label}=${p.code ?? p.signal}`).join(', ')}\n${failed[0].outputTail ?? ''}`);
  }
  const check = (what, ids) => {
    const sorted = [...ids].sort();
    const missing = want.filter(id => !ids.includes(id));
    const dupes = sorted.filter((id, i) => i > 0 && sorted[i - 1] === id);
    if (sorted.length !== want.length || missing.length > 0 || dupes.length > 0) {
      problems.push(`${what}: ${sorted.length} of ${want.length} files, ${missing.length} missing (${missing.slice(0, 5).join(', ')}), ${dupes.length} duplicated`);
    }
  };
  check('PASS lines', result.passed);
  check('trace', result.trace.map(t => t.id));
  if (result.serverResults) {
    check('server results', result.serverResults.map(r => r.id));
    const notPassed = result.serverResults.filter(r => r.status !== 'passed');
    if (notPassed.length > 0) problems.push(`server: ${notPassed.length} files not passed`);
    if (result.serverState !== 'finished') problems.push(`server: run is ${result.serverState}, not finished`);
  }
  if (problems.length > 0) {
    throw new Error(`${result.name}: did NOT run the whole suite correctly:\n  ${problems.join('\n  ')}`);
  }
  return { files: want.length, verified: true };
}

module.exports = { lowerBound, cpuBound, verify };
