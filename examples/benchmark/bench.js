#!/usr/bin/env node
'use strict';
/**
 * `npm run bench`: one suite, every approach side by side, one invocation.
 *
 *   1. generate the suite (generate-suite.js)
 *   2. warm Jest's cache with one plain run, so every approach (and the
 *      orchestrator's longest-first queue, fed from Jest's cached durations)
 *      knows the durations
 *   3. time a bare Jest start-up (the bound's start-up term)
 *   4. run: plain jest on 1 node; jest --shard x N; jest per queue batch x N;
 *      jest-fast-ci x N; jest-fast-ci on 1 node (overhead vs plain)
 *   5. server capacity with simulated phoenix clients
 *   6. check every approach ran every file, print the table, write JSON
 *
 * Runs are sequential: they share one 2-core machine and must not overlap.
 */
const os = require('node:os');
const path = require('node:path');
const { parseArgs } = require('./args');
const { generateSuite } = require('./generate-suite');
const runners = require('./runners');
const { lowerBound, cpuBound, verify } = require('./bounds');
const { analyze } = require('./timeline');
const { measureCapacity } = require('./capacity');
const { evaluate, render, writeJson } = require('./report');

const SECRET = 'bench-secret-key';

/**
 * When dist/ was last built. Other people rebuilding the package while a
 * run is under way would mix two versions of the runner in one measurement;
 * such a run is flagged.
 */
function distStamp() {
  const fs = require('node:fs');
  try {
    return fs.statSync(path.join(runners.REPO, 'dist/runner/FastCiRunner.js')).mtimeMs;
  } catch {
    return 0;
  }
}

function log(message) {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

async function main() {
  const config = parseArgs(process.argv.slice(2));
  const benchStart = performance.now();
  // HEAD when the run starts (prebench has just built dist/ from the work tree).
  const commit = require('node:child_process').execSync('git rev-parse --short HEAD', { cwd: runners.REPO }).toString().trim();
  const { startServer } = require(path.join(runners.REPO, 'dist/server'));
  const { project, startup: startupDir, manifest } = generateSuite(config);
  log(`suite ${manifest.name}: ${manifest.files.length} files, ${(manifest.totalMs / 1000).toFixed(1)} s of work, longest ${(manifest.longestMs / 1000).toFixed(1)} s`);

  const { nodes, workers } = config;
  // The warm-up is only there to fill the caches, so give it every slot the N-node runs will have.
  log('warming the Jest cache (one plain run)');
  const warm = await runners.runPlain({ suiteDir: project, workers: nodes * workers, name: 'warm' });
  verify(warm, manifest);

  log('timing Jest start-up');
  const startup = await runners.measureStartup({ startupDir, workers, nodes, runs: config.startupRuns });

  const only = config.only ? new Set(config.only.split(',')) : undefined;
  const want = name => !only || only.has(name);
  const server = await startServer({ host: '127.0.0.1', port: 0, secretKeys: [SECRET] });
  const approaches = {};
  const plan = [
    ['plain', 1, () => runners.runPlain({ suiteDir: project, workers })],
    ['shard', nodes, () => runners.runShards({ suiteDir: project, nodes, workers })],
    ['batch', nodes, () => runners.runPerBatch({ suiteDir: project, manifest, nodes, workers, batch: config.batch })],
    ['fastci', nodes, () => runners.runFastCi({ suiteDir: project, server, secretKey: SECRET, nodes, workers })],
    ['single', 1, () => runners.runFastCi({ suiteDir: project, server, secretKey: SECRET, nodes: 1, workers, name: 'single' })],
  ];
  try {
    for (const [name, n, run] of plan) {
      if (!want(name)) continue;
      log(`running ${name} (${n} node${n > 1 ? 's' : ''} x ${workers} workers)`);
      // Other work on the machine (it is shared) shows up here; recorded so a noisy run can be spotted.
      const loadBefore = os.loadavg()[0];
      const builtBefore = distStamp();
      const result = await run();
      if (distStamp() !== builtBefore) {
        result.distRebuiltDuringRun = true;
        log(`  WARNING: dist/ was rebuilt while ${name} ran; its figures mix two builds`);
      }
      result.loadavg1m = { before: loadBefore, after: os.loadavg()[0] };
      verify(result, manifest); // throws, loudly, if any file did not run
      const shape = { totalMs: manifest.totalMs, longestMs: manifest.longestMs, nodes: n, workers, startupMs: startup.medianMs };
      result.nodes = n;
      result.boundMs = lowerBound(shape);
      result.cpuBoundMs = cpuBound({ ...shape, cores: os.cpus().length });
      result.overBound = result.makespanMs / result.boundMs;
      result.timeline = analyze(result, workers);
      delete result.passed; // verified; the trace keeps the per-file detail
      approaches[name] = result;
      log(`  ${name}: ${(result.makespanMs / 1000).toFixed(1)} s (bound ${(result.boundMs / 1000).toFixed(1)} s)`);
    }
  } finally {
    await server.close();
  }

  let capacity;
  if (!config.skipCapacity) {
    log(`server capacity: ${config.capacityNodes} simulated nodes, ${config.capacityFiles} files`);
    capacity = await measureCapacity({ nodes: config.capacityNodes, files: config.capacityFiles, fileMs: config.capacityFileMs });
  }

  const results = {
    when: new Date().toISOString(),
    command: `node examples/benchmark/bench.js ${process.argv.slice(2).join(' ')}`.trim(),
    machine: { cores: os.cpus().length, cpu: os.cpus()[0]?.model, memoryGb: +(os.totalmem() / 2 ** 30).toFixed(1), node: process.version, platform: `${os.platform()} ${os.release()}` },
    commit,
    jest: require(path.join(runners.REPO, 'node_modules/jest/package.json')).version,
    config,
    manifest: { ...manifest, files: manifest.files },
    startup,
    warmupMs: warm.makespanMs,
    approaches,
    capacity,
  };
  results.evaluation = evaluate(results);
  results.benchWallMs = performance.now() - benchStart;
  const file = writeJson(results);
  console.log(render(results));
  console.log(`\nRaw figures: ${path.relative(process.cwd(), file)} (bench took ${(results.benchWallMs / 1000).toFixed(0)} s)`);
}

main().catch(error => {
  console.error(`\nbench FAILED: ${error.stack || error.message}`);
  process.exit(1);
});
