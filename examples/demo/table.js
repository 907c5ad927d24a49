'use strict';
/**
 * The final table: one row per node, counted from the server's record of
 * the run (what each node reported), with the wall time of the jest process
 * that was that node. Pure functions, so the integration test can rely on
 * the same definitions.
 */
const { seconds } = require('./progress');

/**
 * A node's "time here" line (the reporter's): start-up, and per worker
 * busy and idle seconds; undefined for any other line.
 */
function parseTiming(line) {
  // eslint-disable-next-line no-control-regex
  const plain = line.replace(/\u001b\[[0-9;]*m/g, '');
  const m = /time here: start-up ([\d.]+) s, then per worker ([\d.]+) s busy, ([\d.]+) s idle/.exec(plain);
  return m ? { startupMs: Number(m[1]) * 1000, busyMs: Number(m[2]) * 1000, idleMs: Number(m[3]) * 1000 } : undefined;
}

/**
 * A row's `failures` counts failed tests, plus failed files with no failed
 * test (a file that could not run at all: syntax error, missing module).
 * @param {import('jest-fast-ci/server').RunSnapshot} run
 * @param {Array<{ nodeIndex: number | undefined, wallMs: number, code: number | null }>} processes
 */
function tableRows(run, processes) {
  const rows = processes.map(p => ({ node: p.nodeIndex ?? null, files: 0, tests: 0, failures: 0, wallMs: Math.round(p.wallMs), timing: p.timing, exitCode: p.code }));
  const byIndex = new Map(rows.filter(r => r.node !== null).map(r => [r.node, r]));
  for (const { entry, nodeIndex } of Object.values(run?.results ?? {})) {
    let row = byIndex.get(nodeIndex);
    if (row === undefined) {
      // A node the demo did not start (cannot happen with a fresh build id, but never drop a result).
      row = { node: nodeIndex, files: 0, tests: 0, failures: 0, wallMs: 0, exitCode: null };
      byIndex.set(nodeIndex, row);
      rows.push(row);
    }
    row.files += 1;
    row.tests += entry.test_count;
    const failedTests = entry.test_counters.failed;
    row.failures += failedTests > 0 ? failedTests : entry.file_status === 'failed' ? 1 : 0;
  }
  return rows.sort((a, b) => (a.node ?? Infinity) - (b.node ?? Infinity));
}

function totals(rows, runWallMs) {
  const sum = key => rows.reduce((n, r) => n + r[key], 0);
  return { node: 'all', files: sum('files'), tests: sum('tests'), failures: sum('failures'), wallMs: Math.round(runWallMs) };
}

/**
 * The table as text lines, box-drawn, numbers right-aligned. Start-up,
 * busy and idle are each node's own account (per worker): what is left to
 * gain is the start-up and the idle time.
 */
function renderTable(rows, runWallMs) {
  const header = ['node', 'files', 'tests', 'failures', 'start-up', 'busy', 'idle', 'wall'];
  const time = ms => (ms === undefined ? '' : seconds(ms));
  const cells = r => [
    r.node === null ? '?' : String(r.node),
    String(r.files),
    String(r.tests),
    String(r.failures),
    time(r.timing?.startupMs),
    time(r.timing?.busyMs),
    time(r.timing?.idleMs),
    seconds(r.wallMs),
  ];
  const body = rows.map(cells);
  const total = cells(totals(rows, runWallMs));
  const widths = header.map((h, i) => Math.max(h.length, total[i].length, ...body.map(c => c[i].length)));
  const line = c => ` ${c.map((v, i) => v.padStart(widths[i])).join(' │ ')}`;
  const rule = `─${widths.map(w => '─'.repeat(w)).join('─┼─')}─`;
  return [line(header), rule, ...body.map(line), rule, line(total)];
}

/** "3 nodes: 14.5 s · 1 node (plain jest): 31.2 s · speed-up ×2.15", or without the baseline. */
function renderComparison(nodes, runWallMs, baselineMs) {
  const distributed = `${nodes} node${nodes === 1 ? '' : 's'} (jest-fast-ci): ${seconds(runWallMs)}`;
  if (baselineMs === undefined) return `${distributed} · single-node baseline skipped (--no-baseline)`;
  return `${distributed} · 1 node (plain jest): ${seconds(baselineMs)} · speed-up ×${(baselineMs / runWallMs).toFixed(2)}`;
}

module.exports = { parseTiming, tableRows, renderTable, renderComparison, totals };
