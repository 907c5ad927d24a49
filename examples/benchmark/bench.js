#!/usr/bin/env node
'use strict';
/**
 * `npm run bench`: one suite, every approach side by side, one invocation.
 *
 *   1. isolation: each simulated node gets a cgroup with cores / N CPUs
 *      (isolation.js), where the machine allows it; else one line says why
 *   2. the suite: generate it (generate-suite.js), or take an existing Jest
 *      project (--project, targets.js) without editing it
 *   3. warm Jest's cache with one plain run (unisolated, N x W workers), so
 *      every approach (and the orchestrator's longest-first queue, fed from
 *      Jest's cached durations) knows the durations
 *   4. time one node's start-up with a node's budget (the bound's start-up)
 *   5. run: plain jest on 1 node; jest --shard x N; jest per queue batch x N;
 *      jest-fast-ci x N; jest-fast-ci on 1 node (overhead vs plain); with
 *      --repeat, each of them that many times, interleaved
 *   6. server capacity with simulated phoenix clients (generated suite only)
 *   7. check every approach ran every file, print the table, write JSON
 *
 * Runs are sequential: they share one machine and must not overlap.
 */
const os = require('node:os');
const path = require('node:path');
const { parseArgs } = require('./args');
const { generateSuite } = require('./generate-suite');
const runners = require('./runners');
const { suiteTarget, projectTarget, listTests } = require('./targets');
const { createIsolation } = require('./isolation');
const { lowerBound, cpuBound, verify } = require('./bounds');
const { analyze } = require('./timeline');
const { measureCapacity } = require('./capacity');
const { evaluate, render, writeJson } = require('./report');
const { createCaches } = require('./caches');

const SECRET = 'bench-secret-key';
const median = xs => [...xs].sort((a, b) => a - b)[xs.length >> 1];

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

/**
 * Work as Jest measured it: its per-file runtimes on one node with a node's
 * budget (the plain run, --json); undefined without a plain run. Unlike a
 * generated file's nominal duration, it includes Jest's own per-file work
 * in the worker (environment, module registry, teardown) at that budget.
 */
function measuredWork(approaches) {
  // Only the plain run measures at a node's budget: the warm-up runs unisolated, with cold caches.
  const perFile = approaches.plain?.perFile ?? [];
  if (!perFile.length) return undefined;
  const runtimes = perFile.map(r => r.runtimeMs);
  return { totalMs: runtimes.reduce((a, b) => a + b, 0), longestMs: Math.max(...runtimes), cpu: false, measured: true, source: 'the plain run' };
}

/** The generated suite: durations known from its manifest. */
async function generatedSuite(config, caches) {
  const { project, startup, manifest } = generateSuite(config);
  log(`suite ${manifest.name}: ${manifest.files.length} files, ${(manifest.totalMs / 1000).toFixed(1)} s of ${manifest.cpu ? 'CPU time' : 'sleep'}, longest ${(manifest.longestMs / 1000).toFixed(1)} s`);
  const target = suiteTarget(project);
  log('warming the Jest cache (one plain run, unisolated)');
  const warm = await runners.runPlain({ target, workers: config.nodes * config.workers, name: 'warm', group: null });
  verify({ ...warm, traced: true }, manifest.files.map(f => f.id));
  return {
    kind: 'generated',
    target,
    ids: manifest.files.map(f => f.id),
    manifest,
    warm,
    longestFirst: [...manifest.files].sort((a, b) => b.ms - a.ms).map(f => f.id),
    probe: { target: { ...suiteTarget(startup), traceDir: undefined }, args: [], file: 'a one-test project' },
    work: () => ({ totalMs: manifest.totalMs, longestMs: manifest.longestMs, cpu: manifest.cpu, source: 'manifest' }),
    jestWork: measuredWork,
  };
}

/** An existing project: its files from `jest --listTests`, durations from Jest's own per-file runtimes. */
async function existingProject(config, caches) {
  const target = projectTarget(config.project, config.projectConfig);
  let ids = await listTests(target);
  log(`project ${target.cwd}: ${ids.length} test files, jest ${target.jestVersion}`);
  log('warming the Jest cache (one plain run, unisolated)');
  const warm = await runners.runPlain({ target, workers: config.nodes * config.workers, name: 'warm', group: null, json: true });
  // A file whose every test is skipped prints no PASS or FAIL line: it is left out of the checks (it still runs in every approach).
  const printed = new Set([...warm.passed, ...warm.failed]);
  const silent = ids.filter(id => !printed.has(id));
  if (silent.length > 0) log(`  ${silent.length} file(s) print no PASS or FAIL line (every test skipped), left out of the checks: ${silent.join(', ')}`);
  ids = ids.filter(id => printed.has(id));
  verify(warm, ids, { allowFailures: true, silent });
  if (warm.failed.length > 0) log(`  the warm-up had failing files (${warm.failed.join(', ')}); they count as run`);
  const byRuntime = [...warm.perFile].sort((a, b) => b.runtimeMs - a.runtimeMs);
  const id = file => path.relative(target.cwd, file).split(path.sep).join('/');
  const shortest = id(byRuntime[byRuntime.length - 1].path);
  return {
    kind: 'project',
    target,
    ids,
    silent,
    warm,
    longestFirst: byRuntime.map(r => id(r.path)),
    probe: { target, args: ['--runTestsByPath', shortest], file: shortest },
    // Without a plain run there is nothing to measure the work by: no bound.
    work: measuredWork,
    jestWork: () => undefined, // the work is Jest's already
  };
}

/** Leaves the killed node's process out of the checks: it printed what it had when it died. */
function dropKilled(result) {
  const label = `node ${result.killed.node}`;
  result.processes = result.processes.filter(p => p.label !== label);
  // A file it finished as it died (its trace line written, its result never sent) ran again: the other run counts.
  const elsewhere = new Set(result.trace.filter(t => t.node !== String(result.killed.node)).map(t => `${t.id}#${t.test ?? ''}`));
  result.trace = result.trace.filter(t => t.node !== String(result.killed.node) || !elsewhere.has(`${t.id}#${t.test ?? ''}`));
  if (result.passedByProcess) {
    result.passedByProcess = result.passedByProcess.filter(p => p.label !== label);
    result.passed = result.passedByProcess[0]?.passed ?? [];
  }
}

/**
 * When the files the killed node held ran again elsewhere (the trace), in
 * ms after the kill: their copies' starts (target: within handoffAfterMs,
 * 5 s, and a moment) and ends (target: their own length plus 5 s).
 */
function killRecovery(result, manifest) {
  const { killed, trace, t0Epoch } = result;
  const msOf = new Map((manifest?.files ?? []).map(f => [f.id, f.ms]));
  const files = killed.held.map(id => {
    const line = trace.find(t => t.id === id || t.id.endsWith(`/${id}`) || id.endsWith(`/${t.id}`));
    return { id, ms: msOf.get(id) ?? msOf.get(line?.id), startAfterKillMs: line ? line.start - killed.atEpoch : undefined, endAfterKillMs: line ? line.end - killed.atEpoch : undefined };
  });
  return { killedAtMs: killed.atEpoch - t0Epoch, files };
}

function renderKill(recovery, makespanMs, fastciMs) {
  const s = ms => (ms / 1000).toFixed(1);
  const inFlightMs = recovery.files.reduce((sum, f) => sum + (f.ms ?? 0), 0);
  const lastEnd = Math.max(...recovery.files.map(f => f.endAfterKillMs ?? Infinity));
  const lines = [
    '',
    `Killed node (fastciKill): the last node's machine died ${s(recovery.killedAtMs)} s in, holding ${recovery.files.length} file(s); makespan ${s(makespanMs)} s${fastciMs ? ` (${s(fastciMs)} s with no kill)` : ''}.`,
    `  its files had all run again ${s(lastEnd)} s after the kill; target at most their time plus 5 s = ${s(inFlightMs + 5000)} s: ${lastEnd <= inFlightMs + 5000 ? 'MET' : 'NOT MET'}. Each:`,
  ];
  for (const f of recovery.files) {
    const bound = (f.ms ?? 0) + 5000;
    lines.push(
      f.endAfterKillMs === undefined
        ? `  ${f.id}: no trace of it running again`
        : `  ${f.id} (${s(f.ms ?? 0)} s): ran again from +${s(f.startAfterKillMs)} s to +${s(f.endAfterKillMs)} s after the kill (its length + 5 s: ${s(bound)} s)`,
    );
  }
  return lines.join('\n');
}

/** Stops every jest process and removes the cgroups on Ctrl-C, a kill, or any exit. */
function cleanUpOnExit(isolation, caches) {
  const cleanup = () => {
    runners.killAll();
    isolation.close();
    caches.close();
  };
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.once(signal, () => {
      log(`${signal}: stopping the jest processes and removing the cgroups`);
      cleanup();
      process.exit(130);
    });
  }
  process.once('exit', cleanup);
}

/** CPU time the whole machine spent busy so far (all cores, /proc/stat), in ms; undefined off Linux. */
function machineBusyMs() {
  try {
    const [, ...fields] = require('node:fs').readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).map(Number);
    const [user, nice, system, idle, iowait, irq, softirq, steal] = fields;
    return ((user + nice + system + irq + softirq + steal) * 1000) / 100; // USER_HZ is 100 on Linux
  } catch {
    return undefined;
  }
}

/**
 * On a machine shared with other work: waits until it has been under
 * `maxBusy` (share of all cores) for `quietMs`, at most `timeoutMs`. Other
 * work can still start mid-run; the "CPU elsewhere" column shows it.
 */
async function waitForQuiet({ maxBusy = 0.25, quietMs = 3000, timeoutMs = 90_000 } = {}) {
  const cores = os.availableParallelism();
  const started = Date.now();
  let quietSince = Date.now();
  let last = machineBusyMs();
  while (Date.now() - started < timeoutMs) {
    await new Promise(resolve => setTimeout(resolve, 500));
    const now = machineBusyMs();
    if (now === undefined) return 0;
    if ((now - last) / (500 * cores) > maxBusy) quietSince = Date.now();
    last = now;
    if (Date.now() - quietSince >= quietMs) return Date.now() - started;
  }
  return Date.now() - started;
}

/**
 * Where the CPU went during one approach: how long the node groups' budget
 * held them back, the CPU they used, and the CPU the machine spent outside
 * them (other users, the bench and its server). A budget caps a node but
 * reserves nothing: CPU spent elsewhere is CPU the nodes may have waited for.
 */
function cpuAccount(isolation, before, after, busyBefore, busyAfter) {
  const nodes = Object.keys(after).filter(name => name.startsWith('node-'));
  const sum = key => nodes.reduce((total, name) => total + (after[name][key] - (before[name]?.[key] ?? 0)), 0);
  const account = { throttledMs: sum('throttledMs') };
  if (nodes.every(name => after[name].usageMs !== undefined)) account.nodesCpuMs = sum('usageMs');
  if (busyBefore !== undefined && busyAfter !== undefined && account.nodesCpuMs !== undefined) {
    account.elsewhereCpuMs = Math.max(0, busyAfter - busyBefore - account.nodesCpuMs);
  }
  return account;
}

/** Size of the coverage-final.json the warm-up (a plain run of the whole project) wrote. */
function coverageFinalBytes(dir) {
  return require('node:fs').statSync(path.join(dir, 'coverage', 'coverage-final.json')).size;
}

const UNIT = { B: 1, KB: 1024, MB: 1024 * 1024 };

/**
 * What each jest-fast-ci node said of its whole-run report: bytes sent and
 * received (as printed, to 0.1 of a unit), and how long after its last
 * file the other nodes' outcomes were all handed to its Jest.
 */
function wholeRunFigures(approaches, coverageFinal, tests) {
  const nodes = (approaches.fastci?.nodeLines ?? []).map(line => {
    const m = /sent ([\d.]+) (B|KB|MB), received ([\d.]+) (B|KB|MB); ready ([\d.]+) s after the last file here/.exec(line);
    return m ? { sentBytes: +m[1] * UNIT[m[2]], receivedBytes: +m[3] * UNIT[m[4]], readyMs: +m[5] * 1000 } : undefined;
  });
  const makespan = name => approaches[name]?.makespanMs;
  return {
    coverageFinalBytes: coverageFinal,
    tests,
    targetSentBytes: 1.5 * coverageFinal + 2048 * tests,
    nodes,
    addsToMakespan: makespan('fastci') && makespan('fastciNode') ? makespan('fastci') / makespan('fastciNode') - 1 : undefined,
  };
}

function renderWholeRun(figures) {
  const mb = n => `${(n / 1024 / 1024).toFixed(1)} MB`;
  const lines = [
    '',
    `Whole-run report (FAST_CI_REPORT=run) on the coverage project: plain Jest's coverage-final.json is ${mb(figures.coverageFinalBytes)}; ${figures.tests} tests`,
    `  target per node: sent at most 1.5 x coverage-final.json + 2 KB a test = ${mb(figures.targetSentBytes)}; ready at most 1 s after its last file`,
  ];
  for (const [i, node] of figures.nodes.entries()) {
    lines.push(node ? `  node ${i}: sent ${mb(node.sentBytes)}, received ${mb(node.receivedBytes)}, ready ${(node.readyMs / 1000).toFixed(1)} s after its last file` : `  node ${i}: no whole-run figures printed`);
  }
  if (figures.addsToMakespan !== undefined) lines.push(`  makespan with whole-run reporting against FAST_CI_REPORT=node: ${figures.addsToMakespan >= 0 ? '+' : ''}${(figures.addsToMakespan * 100).toFixed(1)} % (target at most +3 %)`);
  return lines.join('\n');
}

async function main() {
  const config = parseArgs(process.argv.slice(2));
  const benchStart = performance.now();
  // HEAD when the run starts (prebench has just built dist/ from the work tree).
  const commit = require('node:child_process').execSync('git rev-parse --short HEAD', { cwd: runners.REPO }).toString().trim();
  const { startServer } = require(path.join(runners.REPO, 'dist/server'));
  const { nodes, workers } = config;
  const cores = os.availableParallelism();
  const isolation = createIsolation({ nodes, nodeCpus: config.nodeCpus || +(cores / nodes).toFixed(3), enabled: config.isolate });
  const caches = createCaches(config.caches, nodes);
  cleanUpOnExit(isolation, caches);
  runners.useIsolation(isolation);
  log(isolation.describe);

  let coverageProject;
  if (config.coverage) {
    const { writeCoverageProject } = require('./coverage-project');
    coverageProject = writeCoverageProject(path.join(__dirname, 'suites', `coverage-f${config.files}-m${config.modules}`, 'project'), { modules: config.modules, files: config.files });
    log(`coverage project: ${coverageProject.files} test files, ${coverageProject.modules} modules, ${coverageProject.meanImports.toFixed(0)} imports a file on average`);
    config.project = coverageProject.dir;
  }
  if (caches.mode) log(`Jest caches: ${caches.mode} (caches.js): ${caches.note}`);
  const suite = config.project ? await existingProject(config, caches) : await generatedSuite(config, caches);
  const coverageFinal = coverageProject && coverageFinalBytes(coverageProject.dir);

  log(`timing one node's start-up (${suite.probe.file}${isolation.isolated ? `, ${isolation.nodeCpus} CPU` : ''})`);
  const startup = await runners.measureStartup({ probe: suite.probe, workers, nodes, runs: config.startupRuns });

  const only = config.only ? new Set(config.only.split(',')) : undefined;
  const want = name => !only || only.has(name);
  const server = await startServer({ host: '127.0.0.1', port: 0, secretKeys: [SECRET] });
  const { target } = suite;
  const nodeTotal = config.nodeTotal;
  const plan = [
    ['plain', 1, cache => runners.runPlain({ target, workers, json: true, cache })],
    ['shard', nodes, cache => runners.runShards({ target, nodes, workers, cache })],
    ['fastci', nodes, cache => runners.runFastCi({ target, server, secretKey: SECRET, nodes, workers, cache, nodeTotal })],
    // The same without whole-run reporting: what reporting the whole run on every node costs.
    ['fastciNode', nodes, cache => runners.runFastCi({ target, server, secretKey: SECRET, nodes, workers, name: 'fastciNode', report: 'node', cache, nodeTotal })],
    ['fastciKill', nodes, cache => runners.runFastCi({ target, server, secretKey: SECRET, nodes, workers, name: 'fastciKill', cache, nodeTotal, killAtMs: config.killAt * 1000 })],
    ['single', 1, cache => runners.runFastCi({ target, server, secretKey: SECRET, nodes: 1, workers, name: 'single', cache, nodeTotal })],
    // Last: in repeated trials the approach run right after it was slower (first files 3-5 s late; the cause was not found).
    ['batch', nodes, cache => runners.runPerBatch({ target, longestFirst: suite.longestFirst, nodes, workers, batch: config.batch, cache })],
  ].filter(([name]) => want(name) && (name !== 'fastciKill' || config.killAt > 0));
  const runs = Object.fromEntries(plan.map(([name]) => [name, []]));
  try {
    if (suite.manifest?.dominant && plan.some(([name]) => name.startsWith('fastci'))) {
      // A server learns a file's tests from a run that recorded them: one untimed run first, as any earlier CI run would be.
      log('teaching the server the dominant file\'s tests (one jest-fast-ci run, untimed)');
      const learned = await runners.runFastCi({ target, server, secretKey: SECRET, nodes: 1, workers, name: 'learn', cache: caches.forRun('learn') });
      verify({ ...learned, traced: true }, suite.ids);
    }
    for (let round = 1; round <= config.repeat; round++) {
      for (const [name, n, run] of plan) {
        log(`running ${name} (${n} node${n > 1 ? 's' : ''} x ${workers} workers)${config.repeat > 1 ? `, round ${round} of ${config.repeat}` : ''}`);
        if (config.waitIdle) {
          const waitedMs = await waitForQuiet();
          if (waitedMs > 3500) log(`  waited ${(waitedMs / 1000).toFixed(0)} s for the machine to be quiet`);
        }
        if (caches.needsYesterday(name)) {
          // Yesterday's run of the same approach, from empty caches, fills each node's (per-node) or the one shared cache.
          log(`  yesterday's run of ${name} (untimed), filling ${caches.mode === 'shared' ? 'the shared cache' : "each node's cache"}`);
          if (isolation.isolated) isolation.sweep();
          const yesterday = await run(caches.forRun(name, true));
          verify({ ...yesterday, traced: suite.kind === 'generated' }, suite.ids, { allowFailures: suite.kind === 'project', silent: suite.silent });
          caches.markYesterday(name);
        }
        // A process left in a node's group by the approach before would spend this one's budget.
        const leftovers = isolation.isolated ? isolation.sweep() : 0;
        if (leftovers > 0) log(`  killed ${leftovers} process(es) left in the node groups by the approach before`);
        // Other work on the machine (it is shared) shows up here; recorded so a noisy run can be spotted.
        const loadBefore = os.loadavg()[0];
        const builtBefore = distStamp();
        const countersBefore = isolation.counters();
        const busyBefore = machineBusyMs();
        const result = await run(caches.forRun(name));
        caches.dropRun();
        // The killed node's process is not checked: what it held is, on the others (killRecovery).
        if (result.killed) dropKilled(result);
        if (distStamp() !== builtBefore) {
          result.distRebuiltDuringRun = true;
          log(`  WARNING: dist/ was rebuilt while ${name} ran; its figures mix two builds`);
        }
        result.loadavg1m = { before: loadBefore, after: os.loadavg()[0] };
        if (isolation.isolated) result.cpu = cpuAccount(isolation, countersBefore, isolation.counters(), busyBefore, machineBusyMs());
        result.traced = suite.kind === 'generated';
        // Throws, loudly, if any file did not run. A project's own tests may fail (flaky under load): they still ran.
        verify(result, suite.ids, { allowFailures: suite.kind === 'project', silent: suite.silent });
        if (result.failed.length > 0) log(`  WARNING: ${result.failed.length} file(s) failed: ${result.failed.join(', ')}`);
        result.nodes = n;
        runs[name].push(result);
        log(`  ${name}: ${(result.makespanMs / 1000).toFixed(1)} s`);
      }
    }
  } finally {
    await server.close();
    caches.close();
  }

  // With --repeat, each approach is shown by its median run; every makespan is kept.
  const approaches = {};
  for (const [name, list] of Object.entries(runs)) {
    const makespans = list.map(r => r.makespanMs);
    const chosen = list.find(r => r.makespanMs === median(makespans));
    approaches[name] = { ...chosen, makespansMs: makespans };
  }
  const work = suite.work(approaches);
  const jestWork = suite.jestWork(approaches);
  for (const result of Object.values(approaches)) {
    const shape = { ...work, nodes: result.nodes, workers, startupMs: startup.medianMs, nodeCpus: isolation.isolated ? isolation.nodeCpus : undefined };
    result.boundMs = work ? lowerBound(shape) : NaN;
    if (jestWork) result.jestBoundMs = lowerBound({ ...jestWork, nodes: result.nodes, workers, startupMs: startup.medianMs });
    if (work?.cpu && !isolation.isolated) result.cpuBoundMs = cpuBound({ ...shape, cores });
    result.overBound = result.makespanMs / result.boundMs;
    if (result.traced) result.timeline = analyze(result, workers);
    delete result.passed; // verified; the trace keeps the per-file detail (failed files are kept)
    delete result.passedByProcess;
  }

  let capacity;
  if (!config.skipCapacity && suite.kind === 'generated') {
    log(`server capacity: ${config.capacityNodes} simulated nodes, ${config.capacityFiles} files`);
    capacity = await measureCapacity({ nodes: config.capacityNodes, files: config.capacityFiles, fileMs: config.capacityFileMs });
  }

  const results = {
    when: new Date().toISOString(),
    command: `node examples/benchmark/bench.js ${process.argv.slice(2).join(' ')}`.trim(),
    machine: { cores, cpu: os.cpus()[0]?.model, memoryGb: +(os.totalmem() / 2 ** 30).toFixed(1), node: process.version, platform: `${os.platform()} ${os.release()}` },
    commit,
    jest: suite.target.jestVersion ?? require(path.join(runners.REPO, 'node_modules/jest/package.json')).version,
    config,
    isolation: { isolated: isolation.isolated, reason: isolation.reason, nodeCpus: isolation.nodeCpus, cgroup: isolation.cgroup, describe: isolation.describe },
    suite: suite.kind === 'generated' ? { kind: 'generated', manifest: suite.manifest } : { kind: 'project', dir: suite.target.cwd, files: suite.ids.length },
    work,
    jestWork,
    startup,
    warmupMs: suite.warm.makespanMs,
    approaches,
    capacity,
  };
  if (coverageProject) results.wholeRunReport = wholeRunFigures(approaches, coverageFinal, coverageProject.tests);
  if (approaches.fastciKill?.killed && approaches.fastciKill.trace?.length) results.killRecovery = killRecovery(approaches.fastciKill, suite.manifest);
  results.evaluation = evaluate(results);
  results.benchWallMs = performance.now() - benchStart;
  const file = writeJson(results);
  console.log(render(results));
  if (results.wholeRunReport) console.log(renderWholeRun(results.wholeRunReport));
  if (results.killRecovery) console.log(renderKill(results.killRecovery, approaches.fastciKill.makespanMs, approaches.fastci?.makespanMs));
  console.log(`\nRaw figures: ${path.relative(process.cwd(), file)} (bench took ${(results.benchWallMs / 1000).toFixed(0)} s)`);
}

main().catch(error => {
  console.error(`\nbench FAILED: ${error.stack || error.message}`);
  process.exitCode = 1;
});
