'use strict';
/** The printed table, the issue's targets, and the JSON file of raw figures. */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const s = ms => (ms / 1000).toFixed(1);
const x = r => (Number.isFinite(r) ? `${r.toFixed(2)}x` : 'n/a');

const TITLES = {
  plain: 'plain jest, 1 node',
  shard: 'jest --shard=i/N',
  batch: 'jest per queue batch',
  fastci: 'jest-fast-ci, N nodes',
  single: 'jest-fast-ci, 1 node',
};

function table(rows, header) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map(r => String(r[i]).length)));
  const line = r => r.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join('  ');
  return [line(header), widths.map(w => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** Ratios and targets from one set of results. */
function evaluate(results) {
  const a = results.approaches;
  const m = name => a[name]?.makespanMs;
  const ratios = {
    shardOverFastci: m('shard') / m('fastci'),
    batchOverFastci: m('batch') / m('fastci'),
    plainOverFastci: m('plain') / m('fastci'),
    singleNodeOverhead: m('single') / m('plain') - 1,
  };
  const cap = results.capacity?.paced;
  const targets = [
    { target: 'jest-fast-ci makespan <= 1.15x bound (N nodes)', value: a.fastci && x(a.fastci.overBound), met: a.fastci ? a.fastci.overBound <= 1.15 : undefined },
    { target: 'jest --shard / jest-fast-ci >= 1.3x', value: x(ratios.shardOverFastci), met: Number.isFinite(ratios.shardOverFastci) ? ratios.shardOverFastci >= 1.3 : undefined },
    { target: 'single-node overhead <= 5%', value: Number.isFinite(ratios.singleNodeOverhead) ? `${(ratios.singleNodeOverhead * 100).toFixed(1)}%` : 'n/a', met: Number.isFinite(ratios.singleNodeOverhead) ? ratios.singleNodeOverhead <= 0.05 : undefined },
    { target: `server p99 deq < 20 ms at ${cap?.nodes ?? 200} nodes (paced)`, value: cap ? `${cap.p99Ms} ms` : 'n/a', met: cap ? cap.p99Ms < 20 : undefined },
  ];
  return { ratios, targets };
}

function render(results) {
  const { config, manifest, startup } = results;
  const out = [];
  out.push(
    `Suite ${manifest.name}: ${manifest.files.length} files, ${manifest.cpu ? 'CPU-bound busy loops' : 'sleep-based'}, ` +
      `total ${s(manifest.totalMs)} s, longest ${s(manifest.longestMs)} s, median ${manifest.medianMs} ms; ` +
      `${config.nodes} nodes x ${config.workers} workers on ${os.cpus().length} cores.`,
  );
  out.push(
    `Jest start-up (plain jest, one trivial file): ${s(startup.medianMs)} s alone, ${s(startup.concurrentMedianMs)} s with ${config.nodes} at once. ` +
      `Jest cache warmed by one plain run first (longest-first ordering uses it).`,
  );
  const rows = Object.entries(results.approaches).map(([name, r]) => [
    TITLES[name] ?? name,
    r.nodes,
    s(r.makespanMs),
    s(r.boundMs),
    x(r.overBound),
    manifest.cpu ? x(r.makespanMs / r.cpuBoundMs) : '-',
    r.timeline ? s(Math.max(...r.timeline.nodes.map(n => n.firstStartMs))) : '-',
    r.timeline ? `${r.timeline.lateStartCount} / ${s(r.timeline.heldIdleMs)}` : '-',
    r.processes.length,
    `${r.loadavg1m.before.toFixed(1)}/${r.loadavg1m.after.toFixed(1)}`,
  ]);
  out.push(
    '',
    table(rows, ['approach', 'nodes', 'makespan s', 'bound s', 'vs bound', manifest.cpu ? `vs ${os.cpus().length}-core bound` : '-', 'last 1st file s', 'late starts / idle s', 'jest procs', 'load 1m before/after']),
  );
  const { ratios, targets } = results.evaluation;
  out.push(
    '',
    `Ratios: jest --shard / jest-fast-ci = ${x(ratios.shardOverFastci)}, per-batch / jest-fast-ci = ${x(ratios.batchOverFastci)}, ` +
      `plain / jest-fast-ci = ${x(ratios.plainOverFastci)}, single-node overhead = ${Number.isFinite(ratios.singleNodeOverhead) ? (ratios.singleNodeOverhead * 100).toFixed(1) + '%' : 'n/a'}`,
  );
  if (results.capacity) {
    for (const c of Object.values(results.capacity)) {
      out.push(
        `Server capacity (${c.label}, ${c.nodes} nodes, ${c.files} files${c.fileMs ? `, ~${c.fileMs} ms/file` : ', no pause'}): ` +
          `${c.deqs} deqs in ${s(c.runMs)} s (${c.deqPerSecond}/s), p50 ${c.p50Ms} ms, p99 ${c.p99Ms} ms, max ${c.maxMs} ms ` +
          `(first deq of each node: p50 ${c.firstDeq.p50Ms}, p99 ${c.firstDeq.p99Ms} ms); ` +
          `server peak RSS ${c.serverMemoryMb.peakRss} MB (idle ${c.serverMemoryMb.baselineRss}), peak heapUsed ${c.serverMemoryMb.peakHeapUsed} MB, ` +
          `${c.serverMemoryMb.retainedHeapUsedAfterGc} MB after GC holding the finished run`,
      );
    }
  }
  out.push('', table(targets.map(t => [t.target, t.value ?? 'n/a', t.met === undefined ? 'not measured' : t.met ? 'MET' : 'NOT MET']), ['target', 'measured', '']));
  return out.join('\n');
}

function writeJson(results) {
  const dir = path.join(__dirname, 'out');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `results-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  fs.writeFileSync(file, JSON.stringify(results, null, 2));
  return file;
}

module.exports = { evaluate, render, writeJson };
