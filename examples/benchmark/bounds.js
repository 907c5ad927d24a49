'use strict';
/**
 * The physical limit for a run, and checks that a run did all the work.
 *
 * Lower bound for N nodes with W workers each:
 *   one node's start-up + max(work / N, longest file)
 * No schedule can beat it: the work cannot be spread thinner than N nodes,
 * the longest file cannot be split, and every node pays at least one
 * start-up before its first file. The start-up is measured (plain `jest` on
 * one short file) with a node's CPU budget. Work is counted in the time a
 * node needs for it:
 *
 *   sleeping files          total / (N x W): each of the W workers sleeps one file at a time
 *   CPU-bound files, each   total / (N x min(W, c)): a node of c CPUs burns c CPU-seconds a
 *   node isolated at c CPUs   second; one file at most one CPU, so the longest takes longest / min(1, c)
 *   measured (a project)    Jest's per-file runtimes from the plain run on one node (same
 *                           budget, W workers): total / (N x W). Each runtime was taken with
 *                           the node's W workers sharing its budget; a CPU-bound file alone
 *                           could run up to W times faster, so the longest counts longest / W
 *                           (a true lower bound, if a loose one for a file that sleeps)
 *
 * Unisolated CPU-bound runs keep the issue-6 definition (sleeping formula);
 * cpuBound then caps the slots by the machine's cores, to show how much of
 * the gap is the shared CPU.
 */

function lowerBound({ totalMs, longestMs, nodes, workers, startupMs, cpu = false, nodeCpus, measured = false }) {
  if (measured) return Math.max(totalMs / (nodes * workers), longestMs / workers) + startupMs;
  if (cpu && nodeCpus !== undefined) {
    return Math.max(totalMs / (nodes * Math.min(workers, nodeCpus)), longestMs / Math.min(1, nodeCpus)) + startupMs;
  }
  return Math.max(totalMs / (nodes * workers), longestMs) + startupMs;
}

function cpuBound({ totalMs, longestMs, nodes, workers, startupMs, cores }) {
  return Math.max(totalMs / Math.min(nodes * workers, cores), longestMs) + startupMs;
}

/**
 * The expected id a printed or recorded path stands for. Jest prints paths
 * from its working directory, the server keys them from rootDir; for a
 * project whose rootDir is not its directory, one is a suffix of the other.
 */
function canonical(id, expected) {
  if (expected.has(id)) return id;
  for (const want of expected) if (want.endsWith(`/${id}`) || id.endsWith(`/${want}`)) return want;
  return id;
}

/**
 * Throws unless the approach ran every expected file exactly once (by
 * Jest's PASS lines, by the trace the generated files write, and, for
 * jest-fast-ci, by the server's results) and every process exited 0.
 *
 * With `allowFailures` (an existing project, whose tests may be flaky under
 * load), a file that FAILed still counts as run, and a process may exit 1
 * for it; the failures are listed in the result.
 */
function verify(result, ids, { allowFailures = false, silent = [] } = {}) {
  // Files that print no line (every test skipped): not counted where they appear (the server's record).
  const quiet = new Set(silent);
  const want = [...ids].sort();
  const expected = new Set(want);
  const known = new Set([...want, ...silent]);
  const problems = [];
  const failing = allowFailures ? result.failed ?? [] : [];
  const failed = result.processes.filter(p => p.code !== 0 && !(failing.length > 0 && p.code === 1));
  if (failed.length > 0) {
    problems.push(`${failed.length} process(es) exited non-zero: ${failed.map(p => `${p.label}=${p.code ?? p.signal}`).join(', ')}\n${failed[0].outputTail ?? ''}`);
  }
  const check = (what, raw) => {
    const seen = raw.map(id => canonical(id, known)).filter(id => !quiet.has(id));
    const sorted = [...seen].sort();
    const missing = want.filter(id => !seen.includes(id));
    const dupes = sorted.filter((id, i) => i > 0 && sorted[i - 1] === id);
    if (sorted.length !== want.length || missing.length > 0 || dupes.length > 0) {
      problems.push(`${what}: ${sorted.length} of ${want.length} files, ${missing.length} missing (${missing.slice(0, 5).join(', ')}), ${dupes.length} duplicated`);
    }
  };
  if (result.passedByProcess) {
    // Whole-run reporting: every node reports every file once.
    for (const p of result.passedByProcess) check(`PASS lines of ${p.label} (whole-run report)`, [...p.passed, ...(allowFailures ? (p.failed ?? []) : [])]);
  } else {
    check(failing.length > 0 ? 'PASS and FAIL lines' : 'PASS lines', [...result.passed, ...failing]);
  }
  if (result.traced) {
    // A split file's tests trace one line each (on whichever node ran them): each test exactly once, the file once.
    const perTest = result.trace.filter(t => t.test !== undefined);
    const testKeys = perTest.map(t => `${t.id}#${t.test}`).sort();
    const repeated = testKeys.filter((k, i) => i > 0 && testKeys[i - 1] === k);
    if (repeated.length > 0) problems.push(`trace: ${repeated.length} tests ran more than once (${repeated.slice(0, 3).join(', ')})`);
    check('trace', [...result.trace.filter(t => t.test === undefined).map(t => t.id), ...new Set(perTest.map(t => t.id))]);
  }
  if (result.serverResults) {
    check('server results', result.serverResults.map(r => r.id));
    const notPassed = result.serverResults.filter(r => r.status !== 'passed' && !(failing.length > 0 && r.status === 'failed') && !quiet.has(canonical(r.id, known)));
    if (notPassed.length > 0) problems.push(`server: ${notPassed.length} files not passed`);
    if (result.serverState !== 'finished') problems.push(`server: run is ${result.serverState}, not finished`);
  }
  if (problems.length > 0) {
    throw new Error(`${result.name}: did NOT run the whole suite correctly:\n  ${problems.join('\n  ')}`);
  }
  return { files: want.length, verified: true };
}

module.exports = { lowerBound, cpuBound, verify };
