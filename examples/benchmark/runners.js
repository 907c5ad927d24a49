'use strict';
/**
 * The ways of running one suite that the benchmark compares. Each returns
 * { makespanMs, processes: [...], passed: [file ids], failed: [file ids], trace } where makespan
 * is from the spawn of the first `jest` process to the exit of the last.
 *
 * Every process is the real `jest` CLI, as a CI node would run it, on a
 * target (targets.js): which Jest, in which directory, with which flags for
 * plain Jest and for jest-fast-ci. With isolation (isolation.js), process i
 * of an approach runs in node i's cgroup.
 */
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { randomUUID } = require('node:crypto');

const REPO = path.resolve(__dirname, '../..');

/** Set by the bench once: every process of node i is spawned through isolation.spawnArgs(`node-i`, …). */
let isolation = { spawnArgs: (_group, command, args) => [command, args] };
const live = new Set();

function useIsolation(value) {
  isolation = value;
}

/** Kills every jest process still running (on SIGINT); their workers exit with them or with the cgroups. */
function killAll() {
  for (const child of live) child.kill('SIGKILL');
}

/** Env without CI or FAST_CI variables of the machine running the benchmark, so every node sees only what we set. */
function cleanEnv(extra) {
  const env = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (/^(FAST_CI_|GITHUB_|GITLAB_|CI_|CIRCLE|BUILDKITE|JENKINS|BUILD_|DEBUG$)/.test(name)) continue;
    env[name] = value;
  }
  env.FORCE_COLOR = '0';
  return { ...env, ...extra };
}

/**
 * Runs one `jest` process; resolves (never rejects) with its exit, output
 * and timing. `group` is the cgroup (node-i, probe), null or undefined to
 * run unisolated (the cache warm-up).
 */
function runJest({ target, args, env, label, group, mount, onSpawn, timeoutMs = 30 * 60_000 }) {
  return new Promise(resolve => {
    const startedAt = performance.now();
    let [command, commandArgs] = [process.execPath, [target.jestBin, ...target.configArgs, ...args]];
    // `mount`: a directory bound at another path for this process tree only (its own mount namespace).
    if (mount) [command, commandArgs] = ['/usr/bin/unshare', ['-m', '--propagation', 'private', '/bin/sh', '-c', 'mount --bind "$1" "$2" || exit 96; shift 2; exec "$@"', 'sh', mount.source, mount.target, command, ...commandArgs]];
    if (group != null) [command, commandArgs] = isolation.spawnArgs(group, command, commandArgs);
    const child = spawn(command, commandArgs, { cwd: target.cwd, env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    live.add(child);
    onSpawn?.(child);
    let output = '';
    child.stdout.on('data', chunk => (output += chunk));
    child.stderr.on('data', chunk => (output += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      live.delete(child);
      resolve({ label, code, signal, output, startedAt, endedAt: performance.now() });
    });
  });
}

/** File ids Jest printed as PASS, or FAIL (relative to the directory Jest ran in). */
function passLines(output, status = 'PASS') {
  // Jest lists failing files again under "Summary of all failing tests": counted once.
  const ran = output.split(/^Summary of all failing tests$/m)[0];
  return [...ran.matchAll(new RegExp(`^\\s*${status}\\s+(\\S+)`, 'gm'))].map(m => m[1]);
}

function readTrace(file) {
  if (!file || !fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map(line => JSON.parse(line));
}

/** Gathers what a set of processes did into one approach result. */
function finish(name, processes, traceFile, extra = {}) {
  const t0 = Math.min(...processes.map(p => p.startedAt));
  const t1 = Math.max(...processes.map(p => p.endedAt));
  return {
    name,
    makespanMs: t1 - t0,
    startedAt: t0,
    processes: processes.map(p => ({
      label: p.label,
      code: p.code,
      signal: p.signal,
      startMs: p.startedAt - t0,
      endMs: p.endedAt - t0,
      passed: passLines(p.output).length,
      // Keep the tail of the output of a failed process: the reason is usually there.
      ...(p.code === 0 ? {} : { outputTail: p.output.slice(-3000) }),
    })),
    passed: processes.flatMap(p => passLines(p.output)),
    failed: processes.flatMap(p => passLines(p.output, 'FAIL')),
    trace: readTrace(traceFile),
    // Wall clock of t0, to place trace timestamps (Date.now()) on the same axis.
    t0Epoch: Date.now() - (performance.now() - t0),
    ...extra,
  };
}

/** Where the files of a traced target write their lines (outside Jest's crawl); undefined for a project that writes none. */
function traceFile(target, name) {
  if (!target.traceDir) return undefined;
  const file = path.join(target.traceDir, `${name}-${randomUUID()}.jsonl`);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  return file;
}

/** Node i's cache (caches.js): its `--cacheDirectory` flag, and the directory to bind there, if any. */
function cacheOf(cache, i) {
  const c = cache?.(i);
  if (!c) return { args: [], mount: undefined };
  return { args: [`--cacheDirectory=${c.mount ?? c.dir}`], mount: c.mount ? { source: c.dir, target: c.mount } : undefined };
}

/** `args` with node i's cache flag before `tail`, and its mount. */
function withCache(cache, i, args, tail = []) {
  const c = cacheOf(cache, i);
  return { args: [...args, ...c.args, ...tail], mount: c.mount };
}

function traceEnv(trace, node) {
  return trace ? { BENCH_TRACE: trace, BENCH_NODE: String(node) } : {};
}

/** Jest's per-file results from `--json --outputFile` ({ name, startTime, endTime } per file): [{ path, runtimeMs }]. */
function readJsonResults(file) {
  const json = JSON.parse(fs.readFileSync(file, 'utf8'));
  return json.testResults.map(r => ({ path: r.name, runtimeMs: r.endTime - r.startTime }));
}

/**
 * One plain `jest` run of the whole suite on node 0's budget; with `group:
 * null`, unisolated (the cache warm-up: `undefined` would take the default). With `json`, also keeps Jest's
 * per-file runtimes (--json), which give a project its durations.
 */
async function runPlain({ target, workers, name = 'plain', group = 'node-0', json: keepJson = false, cache }) {
  const trace = traceFile(target, name);
  const json = path.join(os.tmpdir(), `jest-fast-ci-bench-${process.pid}-${name}-${randomUUID()}.json`);
  const c = cacheOf(cache, 0);
  const p = await runJest({
    target,
    mount: c.mount,
    args: [...target.plainArgs, `--maxWorkers=${workers}`, ...c.args, ...(keepJson ? ['--json', `--outputFile=${json}`] : [])],
    env: traceEnv(trace, 0),
    label: name,
    group,
  });
  let perFile = [];
  if (keepJson && fs.existsSync(json)) {
    perFile = readJsonResults(json);
    fs.rmSync(json, { force: true });
  }
  return finish(name, [p], trace, { perFile });
}

const median = xs => [...xs].sort((a, b) => a - b)[xs.length >> 1];

/**
 * One node's start-up + teardown: plain jest on one short file (median of
 * `runs`), in the probe cgroup, so with a node's CPU budget. Also the same
 * with `nodes` such processes at once, each in its node's group: unisolated
 * on a 2-core machine they share the CPU, which real CI nodes would not.
 */
async function measureStartup({ probe, workers, nodes, runs }) {
  const once = async group => {
    const p = await runJest({ target: probe.target, args: [...probe.target.plainArgs, `--maxWorkers=${workers}`, ...probe.args], group });
    if (p.code !== 0) throw new Error(`start-up probe failed:\n${p.output.slice(-2000)}`);
    return p.endedAt - p.startedAt;
  };
  await once('probe'); // warm its transform cache
  const single = [];
  for (let i = 0; i < runs; i++) single.push(await once('probe'));
  const concurrent = [];
  for (let i = 0; i < runs; i++) concurrent.push(Math.max(...(await Promise.all(Array.from({ length: nodes }, (_, n) => once(`node-${n}`))))));
  return { medianMs: median(single), runsMs: single, concurrentMedianMs: median(concurrent), concurrentRunsMs: concurrent, probeFile: probe.file };
}

/** `jest --shard=i/N`: N concurrent processes, Jest's count-based split. */
async function runShards({ target, nodes, workers, cache }) {
  const trace = traceFile(target, 'shard');
  const processes = await Promise.all(
    Array.from({ length: nodes }, (_, i) =>
      runJest({
        target,
        ...withCache(cache, i, [...target.plainArgs, `--maxWorkers=${workers}`, `--shard=${i + 1}/${nodes}`]),
        env: traceEnv(trace, i),
        label: `shard ${i + 1}/${nodes}`,
        group: `node-${i}`,
      }),
    ),
  );
  return finish('shard', processes, trace);
}

/**
 * The per-batch start-up baseline (how Knapsack Pro's queue mode drives
 * Jest): one in-process queue, longest expected first; each of N node loops
 * takes `batch` files and starts a fresh `jest` for them, until the queue
 * is empty. It gets the same duration knowledge as the others get from
 * Jest's cache (`longestFirst`: ids, longest expected first), so the
 * difference is the start-ups.
 */
async function runPerBatch({ target, longestFirst, nodes, workers, batch, cache }) {
  const trace = traceFile(target, 'batch');
  const queue = [...longestFirst];
  const processes = [];
  const loop = async i => {
    for (let n = 0; queue.length > 0; n++) {
      const files = queue.splice(0, batch);
      processes.push(
        await runJest({
          target,
          ...withCache(cache, i, [...target.plainArgs, `--maxWorkers=${workers}`], ['--runTestsByPath', ...files]),
          env: traceEnv(trace, i),
          label: `node ${i} batch ${n}`,
          group: `node-${i}`,
        }),
      );
    }
  };
  await Promise.all(Array.from({ length: nodes }, (_, i) => loop(i)));
  return finish('batch', processes, trace, { batch });
}

/**
 * jest-fast-ci: N concurrent nodes, one build id, on the embedded server.
 * `report`: FAST_CI_REPORT (`run`, the default, makes every node print every file).
 */
async function runFastCi({ target, server, secretKey, nodes, workers, name = 'fastci', report = 'run', cache, nodeTotal = true, killAtMs }) {
  const trace = traceFile(target, name);
  const buildId = `bench-${name}-${randomUUID()}`;
  // `killAtMs`: the last node's machine dies then (its whole group SIGKILLed); what it held is noted first.
  let killed;
  const onSpawn = killAtMs === undefined ? undefined : (i, child) => {
    if (i !== nodes - 1) return;
    setTimeout(() => {
      const run = server.run(buildId);
      const index = run?.nodes.find(n => n.nodeId === `bench-node-${i}`)?.index;
      killed = { node: i, atEpoch: Date.now(), held: Object.entries(run?.leased ?? {}).filter(([, holder]) => holder === index).map(([id]) => id) };
      if (isolation.sweep) isolation.sweep([`node-${i}`]);
      child.kill('SIGKILL');
    }, killAtMs);
  };
  const processes = await Promise.all(
    Array.from({ length: nodes }, (_, i) =>
      runJest({
        target,
        ...withCache(cache, i, [...target.fastciArgs, `--maxWorkers=${workers}`]),
        onSpawn: onSpawn && (child => onSpawn(i, child)),
        env: {
          FAST_CI_NODE_ID: `bench-node-${i}`,
          FAST_CI_SECRET_KEY: secretKey,
          FAST_CI_SERVER: server.url,
          FAST_CI_BUILD_ID: buildId,
          FAST_CI_REPORT: report,
          // As a CI with parallel jobs says it (CI_NODE_TOTAL, CIRCLE_NODE_TOTAL, …); GitHub Actions says nothing (nodeTotal: false).
          ...(nodeTotal ? { FAST_CI_NODE_TOTAL: String(nodes) } : {}),
          ...traceEnv(trace, i),
        },
        label: `node ${i}`,
        group: `node-${i}`,
      }),
    ),
  );
  const run = server.run(buildId);
  const results = run ? Object.entries(run.results).map(([id, r]) => ({ id, node: r.nodeIndex, status: r.entry.file_status, runTime: r.entry.run_time })) : [];
  // Whole-run reporting: each node prints every file of the run (checked per node); who ran what is in the trace and the server.
  const wholeRun = report === 'run' && nodes > 1;
  // Each node reporting its own files prints a split file once if it ran a part of it: counted once here.
  const split = new Set(Object.values(run?.parts ?? {}).map(p => p.file));
  const isSplit = id => [...split].some(file => file === id || file.endsWith(`/${id}`) || id.endsWith(`/${file}`));
  const ownPassed = processes.flatMap(p => passLines(p.output)).filter((id, i, all) => !isSplit(id) || all.indexOf(id) === i);
  return finish(name, processes, trace, {
    ...(killed ? { killed } : {}),
    ...(wholeRun ? { passed: passLines(processes[0].output), failed: passLines(processes[0].output, 'FAIL'), passedByProcess: processes.map(p => ({ label: p.label, passed: passLines(p.output), failed: passLines(p.output, 'FAIL') })) } : { passed: ownPassed }),
    buildId,
    serverState: run ? run.state : 'missing',
    serverResults: results,
    serverSummary: run ? run.summary : undefined,
    serverWarnings: run ? run.warnings : [],
    // Parts of slow files the server handed out (test-level splitting).
    serverParts: run?.parts ? Object.keys(run.parts).length : 0,
    // Each node's line about its whole-run report (bytes, time after its last file), in spawn order.
    nodeLines: processes.map(p => (/this report is the whole run's.*$/m.exec(p.output) || [''])[0]),
    // "node i" labels are spawn order; the reporter prints the index the server gave.
    nodeIndexByLabel: Object.fromEntries(
      processes.map(p => [p.label, Number((/jest-fast-ci ▸ node (\d+)/.exec(p.output) || [])[1])]),
    ),
  });
}

module.exports = { useIsolation, killAll, runJest, runPlain, measureStartup, runShards, runPerBatch, runFastCi, passLines, REPO };
