#!/usr/bin/env node
'use strict';
/**
 * The test history at a suite's size: N tests (default 20,000), each with
 * an outcome in every one of R finished runs (default 30, the window), a
 * few of them flaky, recorded in the data dir as the server does after each
 * run. Prints, side by side, the bytes on disk against the same outcomes in
 * the form of one JSON array each (build id, commit, branch, time, node,
 * attempt, seconds: what an outcome holds), the time to record one run, the
 * time the flaky view's read takes, and the heap held afterwards.
 *
 *   npm run build && node --expose-gc examples/benchmark/test-history.js [--tests 20000] [--runs 30]
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { parseArgs } = require('node:util');

const DIST = path.resolve(__dirname, '../../dist');
const { LocalTestHistory } = require(path.join(DIST, 'server/store/LocalTestHistory.js'));
const { testKey } = require(path.join(DIST, 'server/store/testHistory.js'));

const { values } = parseArgs({ options: { tests: { type: 'string', default: '20000' }, runs: { type: 'string', default: '30' } } });
const TESTS = Number(values.tests);
const RUNS = Number(values.runs);
const identity = { keyHash: 'bench', runKey: 'jest', buildId: 'unused' };

function runOf(r, at) {
  const out = [];
  for (let t = 0; t < TESTS; t += 1) {
    // One test in a thousand flips: it fails every fourth run.
    const status = t % 1000 === 7 && r % 4 === 0 ? 'failed' : 'passed';
    out.push([testKey(`test/module-${t >> 4}.test.ts`, `describe block ${t >> 4} handles case ${t}`), { status, buildId: `98765432${r}-1`, commit: `${r}`.padStart(40, 'c'), branch: 'main', at, node: `node ${t % 8}`, attempt: 1, seconds: 0.012 + (t % 50) / 1000 }]);
  }
  return out;
}

(async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jest-fast-ci-test-history-bench-'));
  try {
    const history = new LocalTestHistory({ runs: RUNS, days: 30 }, dir);
    const start = Date.now() - RUNS * 60_000;
    // The same outcomes as one JSON array each, per test: the form before the table of runs.
    const arrays = new Map();
    let recordMs = 0;
    for (let r = 0; r < RUNS; r += 1) {
      const outcomes = runOf(r, start + r * 60_000);
      for (const [key, o] of outcomes) arrays.set(key, [...(arrays.get(key) ?? []), [o.status === 'passed' ? 'p' : 'f', o.buildId, o.commit, o.branch, o.at, o.node, o.attempt, o.seconds]].slice(-RUNS));
      const t0 = process.hrtime.bigint();
      await history.record(identity, outcomes, start + r * 60_000);
      recordMs = Number(process.hrtime.bigint() - t0) / 1e6;
    }
    const file = fs.readdirSync(path.join(dir, 'tests'), { recursive: true }).map(String).find(f => f.endsWith('.json'));
    const bytes = fs.statSync(path.join(dir, 'tests', file)).size;
    const arrayBytes = Buffer.byteLength(JSON.stringify({ version: 1, tests: Object.fromEntries(arrays) }));
    arrays.clear();
    const t1 = process.hrtime.bigint();
    const failing = await new LocalTestHistory({ runs: RUNS, days: 30 }, dir).withFailures(identity, Date.now());
    const readMs = Number(process.hrtime.bigint() - t1) / 1e6;
    // The history the server holds after the runs, kept alive while the heap is measured.
    globalThis.heldHistory = history;
    global.gc?.();
    const outcomes = TESTS * RUNS;
    console.log(`${TESTS} tests x ${RUNS} runs (${outcomes} outcomes), data dir:`);
    console.log(`  on disk: ${(bytes / 1e6).toFixed(1)} MB (${(bytes / outcomes).toFixed(1)} bytes an outcome); one JSON array an outcome: ${(arrayBytes / 1e6).toFixed(1)} MB (${(arrayBytes / outcomes).toFixed(1)} bytes): ${(arrayBytes / bytes).toFixed(1)}x smaller`);
    console.log(`  recording the last run: ${recordMs.toFixed(0)} ms; the flaky view's read (a server started again): ${readMs.toFixed(0)} ms for ${failing.size} tests that failed`);
    console.log(`  heap held with the history in memory: ${(process.memoryUsage().heapUsed / 1e6).toFixed(0)} MB${global.gc ? '' : ' (run with --expose-gc for a figure after collection)'}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
})();
