'use strict';
/**
 * The ways of running one suite that the benchmark compares. Each returns
 * { makespanMs, processes: [...], passed: [file ids], trace } where makespan
 * is from the spawn of the first `jest` process to the exit of the last.
 *
 * Every process is the real `jest` CLI, as a CI node would run it. The
 * plain approaches override the config's runner with `--runner jest-runner`
 * (Jest's default) and report with `default` only, so they are plain Jest.
 */
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { randomUUID } = require('node:crypto');

const REPO = path.resolve(__dirname, '../..');
const JEST_BIN = path.join(REPO, 'node_modules/jest/bin/jest.js');
const PLAIN = ['--runner', 'jest-runner', '--reporters', 'default'];

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

/** Runs one `jest` process; resolves (never rejects) with its exit, output and timing. */
function runJest({ cwd, args, env, label, timeoutMs = 30 * 60_000 }) {
  return new Promise(resolve => {
    const startedAt = performance.now();
    const child = spawn(process.execPath, [JEST_BIN, '--config', path.join(cwd, 'jest.config.js'), ...args], {
      cwd,
      env: cleanEnv(env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', chunk => (output += chunk));
    child.stderr.on('data', chunk => (output += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ label, code, signal, output, startedAt, endedAt: performance.now() });
    });
  });
}

/** File ids Jest printed as PASS (root-relative, as in the manifest). */
function passLines(output) {
  return [...output.matchAll(/^\s*PASS\s+(\S+)/gm)].map(m => m[1]);
}

function readTrace(file) {
  if (!fs.existsSync(file)) return [];
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
    trace: readTrace(traceFile),
    // Wall clock of t0, to place trace timestamps (Date.now()) on the same axis.
    t0Epoch: Date.now() - (performance.now() - t0),
    ...extra,
  };
}

/** suiteDir is the project dir (suites/<name>/project); traces go next to it, outside Jest's crawl. */
function traceFile(suiteDir, name) {
  const file = path.join(suiteDir, '..', 'trace', `${name}-${randomUUID()}.jsonl`);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  return file;
}

/** One plain `jest` run of the whole suite; also used to warm Jest's cache. */
async function runPlain({ suiteDir, workers, name = 'plain' }) {
  const trace = traceFile(suiteDir, name);
  const p = await runJest({ cwd: suiteDir, args: [...PLAIN, `--maxWorkers=${workers}`], env: { BENCH_TRACE: trace, BENCH_NODE: '0' }, label: name });
  return finish(name, [p], trace);
}

const median = xs => [...xs].sort((a, b) => a - b)[xs.length >> 1];

/**
 * Bare Jest start-up + teardown: plain jest on a one-file project (median
 * of `runs`). Also the same with `nodes` such processes at once, because
 * on a 2-core machine N nodes starting together share the CPU, which a real
 * CI (one machine per node) would not.
 */
async function measureStartup({ startupDir, workers, nodes, runs }) {
  const cwd = startupDir;
  const once = async () => {
    const p = await runJest({ cwd, args: [...PLAIN, `--maxWorkers=${workers}`] });
    if (p.code !== 0) throw new Error(`start-up probe failed:\n${p.output.slice(-2000)}`);
    return p.endedAt - p.startedAt;
  };
  await once(); // warm its transform cache
  const single = [];
  for (let i = 0; i < runs; i++) single.push(await once());
  const concurrent = [];
  for (let i = 0; i < runs; i++) concurrent.push(Math.max(...(await Promise.all(Array.from({ length: nodes }, once)))));
  return { medianMs: median(single), runsMs: single, concurrentMedianMs: median(concurrent), concurrentRunsMs: concurrent };
}

/** `jest --shard=i/N`: N concurrent processes, Jest's count-based split. */
async function runShards({ suiteDir, nodes, workers }) {
  const trace = traceFile(suiteDir, 'shard');
  const processes = await Promise.all(
    Array.from({ length: nodes }, (_, i) =>
      runJest({
        cwd: suiteDir,
        args: [...PLAIN, `--maxWorkers=${workers}`, `--shard=${i + 1}/${nodes}`],
        env: { BENCH_TRACE: trace, BENCH_NODE: String(i) },
        label: `shard ${i + 1}/${nodes}`,
      }),
    ),
  );
  return finish('shard', processes, trace);
}

/**
 * The per-batch start-up baseline (how Knapsack Pro's queue mode drives
 * Jest): one in-process queue, longest expected first; each of N node loops
 * takes `batch` files and starts a fresh `jest` for them, until the queue
 * is empty. It gets the same duration knowledge (the manifest) as the
 * others get from Jest's cache, so the difference is the start-ups.
 */
async function runPerBatch({ suiteDir, manifest, nodes, workers, batch }) {
  const trace = traceFile(suiteDir, 'batch');
  const queue = [...manifest.files].sort((a, b) => b.ms - a.ms).map(f => f.id);
  const processes = [];
  const loop = async i => {
    for (let n = 0; queue.length > 0; n++) {
      const files = queue.splice(0, batch);
      processes.push(
        await runJest({
          cwd: suiteDir,
          args: [...PLAIN, `--maxWorkers=${workers}`, '--runTestsByPath', ...files],
          env: { BENCH_TRACE: trace, BENCH_NODE: String(i) },
          label: `node ${i} batch ${n}`,
        }),
      );
    }
  };
  await Promise.all(Array.from({ length: nodes }, (_, i) => loop(i)));
  return finish('batch', processes, trace, { batch });
}

/** jest-fast-ci: N concurrent nodes, one build id, on the embedded server. */
async function runFastCi({ suiteDir, server, secretKey, nodes, workers, name = 'fastci' }) {
  const trace = traceFile(suiteDir, name);
  const buildId = `bench-${name}-${randomUUID()}`;
  const processes = await Promise.all(
    Array.from({ length: nodes }, (_, i) =>
      runJest({
        cwd: suiteDir,
        args: [`--maxWorkers=${workers}`],
        env: {
          FAST_CI_SECRET_KEY: secretKey,
          FAST_CI_SERVER: server.url,
          FAST_CI_BUILD_ID: buildId,
          BENCH_TRACE: trace,
          BENCH_NODE: String(i),
        },
        label: `node ${i}`,
      }),
    ),
  );
  const run = server.run(buildId);
  const results = run ? Object.entries(run.results).map(([id, r]) => ({ id, node: r.nodeIndex, status: r.entry.file_status, runTime: r.entry.run_time })) : [];
  return finish(name, processes, trace, {
    buildId,
    serverState: run ? run.state : 'missing',
    serverResults: results,
    serverSummary: run ? run.summary : undefined,
    serverWarnings: run ? run.warnings : [],
    // "node i" labels are spawn order; the reporter prints the index the server gave.
    nodeIndexByLabel: Object.fromEntries(
      processes.map(p => [p.label, Number((/jest-fast-ci ▸ node (\d+)/.exec(p.output) || [])[1])]),
    ),
  });
}

module.exports = { runJest, runPlain, measureStartup, runShards, runPerBatch, runFastCi, passLines, REPO };
