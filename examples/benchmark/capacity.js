'use strict';
/**
 * Server capacity: many simulated nodes on the official `phoenix` client
 * against the orchestrator running alone in a child process.
 *
 * Node 0 joins first and enqueues every file; then all nodes loop `deq`,
 * each carrying "passed" results for the files it got last time. Two
 * scenarios:
 *   paced  each node "runs" each file of its batch for 0.5-1.5 x fileMs
 *          (seeded jitter, so nodes do not ask in lock-step) before the
 *          next deq, like real nodes (the request rate a real fleet produces)
 *   burst  no pause at all: every node asks again the moment it is
 *          answered, the worst case for the single-threaded server
 * Latency is client-side, push to reply, of the deqs that were answered
 * with files. Deqs answered later because nothing was left to hand out
 * (held until other nodes report the last files) measure the run's tail,
 * not the server, and are counted separately.
 *
 * The clients share the 2 cores with the server, so latencies include
 * client-side event-loop delay: an upper bound on what the server adds.
 *
 * Stores, side by side on the same load: `memory` (one server, runs in its
 * memory), `redis` (one server on a redis-server) and `redis ×2` (two
 * servers on one Redis, the nodes alternating between them, as behind a
 * load balancer; each deq may wake a node held on the other server).
 */
const { fork } = require('node:child_process');
const path = require('node:path');
const { randomUUID } = require('node:crypto');
const WebSocket = require('ws');
const { Socket } = require('phoenix');
const { startRedis } = require('./redis');

const SECRET = 'bench-capacity-key';
const PUSH_TIMEOUT_MS = 120_000;

function startServerChild(extraEnv = {}) {
  const child = fork(path.join(__dirname, 'server-child.js'), [], {
    env: { ...process.env, BENCH_KEY: SECRET, DEBUG: '', ...extraEnv },
    // BENCH_PROFILE=<dir>: a V8 CPU profile of each server, to see where its time goes.
    execArgv: ['--expose-gc', ...(process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : [])],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const first = new Promise((resolve, reject) => {
    child.once('message', resolve);
    child.once('exit', code => reject(new Error(`server child exited with ${code}`)));
  });
  return {
    child,
    ready: first,
    stop: () =>
      new Promise(resolve => {
        child.once('message', resolve);
        child.send('stop');
      }),
  };
}

function push(channel, event, payload) {
  return new Promise((resolve, reject) => {
    channel
      .push(event, payload, PUSH_TIMEOUT_MS)
      .receive('ok', resolve)
      .receive('error', reason => reject(new Error(`${event} refused: ${JSON.stringify(reason)}`)))
      .receive('timeout', () => reject(new Error(`${event} timed out`)));
  });
}

function connectNode(url, buildId, i) {
  const socket = new Socket(`${url}/test_orchestrators/socket`, {
    transport: WebSocket,
    params: { secret_key: SECRET, build_id: buildId, run_key: 'jest' },
    timeout: PUSH_TIMEOUT_MS,
  });
  socket.connect();
  const channel = socket.channel(`test_orchestrator:jest-${buildId}`, { node_id: `sim-${i}` });
  return new Promise((resolve, reject) => {
    channel
      .join(PUSH_TIMEOUT_MS)
      .receive('ok', reply => resolve({ socket, channel, index: reply.node_index }))
      .receive('error', reason => reject(new Error(`join refused: ${JSON.stringify(reason)}`)))
      .receive('timeout', () => reject(new Error('join timed out')));
  });
}

const pendingEntry = () => ({ file_status: 'pending', test_count: 1, test_counters: { failed: 0, passed: 0, pending: 0 }, 1: { status: 'pending', run_time: 0 } });
const passedEntry = () => ({ file_status: 'passed', test_count: 1, test_counters: { failed: 0, passed: 1, pending: 0 }, 1: { status: 'passed', run_time: 0.01 } });
const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** Runs `fn` over items with at most `limit` in flight. */
async function pool(items, limit, fn) {
  const out = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i], i);
      }
    }),
  );
  return out;
}

/**
 * `store`: 'memory', or { redis: url, instances: 1 | 2 }. With two
 * instances, node i joins through instance i % 2.
 */
async function scenario({ nodes, files, fileMs, label, store = 'memory' }) {
  const prefix = `bench${randomUUID().slice(0, 8)}:`;
  const instances = store === 'memory' ? 1 : store.instances;
  const servers = Array.from({ length: instances }, () => startServerChild(store === 'memory' ? {} : { BENCH_REDIS_URL: store.redis, BENCH_REDIS_PREFIX: prefix }));
  const urls = (await Promise.all(servers.map(s => s.ready))).map(r => r.url);
  const urlOf = i => urls[i % urls.length];
  const buildId = `capacity-${label}-${randomUUID()}`;
  const t0 = performance.now();
  try {
    // Node 0 first: it joins a waiting run and sends the files.
    const first = await connectNode(urlOf(0), buildId, 0);
    if (first.index !== 0) throw new Error(`first node got index ${first.index}`);
    const tests = {};
    for (let i = 0; i < files; i++) tests[`tests/sim-${String(i).padStart(5, '0')}.test.js`] = pendingEntry();
    const enqStart = performance.now();
    await push(first.channel, 'enq', { tests });
    const enqMs = performance.now() - enqStart;
    // 200 sockets are fine on loopback; 50 joins in flight keeps the handshake burst polite.
    const rest = await pool(Array.from({ length: nodes - 1 }, (_, i) => i + 1), 50, i => connectNode(urlOf(i), buildId, i));
    const joinedMs = performance.now() - t0;
    const all = [first, ...rest];

    let seed = 7;
    // LCG: deterministic jitter, same every run.
    const random = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    const batchLatencies = [];
    // Every node's first deq goes out at the same instant (they all joined
    // together), a burst real fleets, which start seconds apart, do not make;
    // kept apart from the steady-state figures.
    const firstLatencies = [];
    let heldDeqs = 0;
    let filesDone = 0;
    let summary;
    const loop = async node => {
      let results = {};
      for (let round = 0; ; round++) {
        const start = performance.now();
        const reply = await push(node.channel, 'deq', results);
        const ms = performance.now() - start;
        if (reply.tests.length > 0) (round === 0 ? firstLatencies : batchLatencies).push(ms);
        else heldDeqs += 1;
        if (reply.summary) summary = reply.summary;
        results = {};
        for (const id of reply.tests) results[id] = passedEntry();
        filesDone += reply.tests.length;
        if (reply.tests.length === 0 && reply.summary) return;
        if (fileMs > 0 && reply.tests.length > 0) await sleep(reply.tests.reduce(ms => ms + fileMs * (0.5 + random()), 0));
      }
    };
    const loopStart = performance.now();
    await Promise.all(all.map(loop));
    const runMs = performance.now() - loopStart;
    for (const node of all) node.socket.disconnect();

    const memories = await Promise.all(servers.map(s => s.stop()));
    const memory = memories[0];
    const sorted = [...batchLatencies].sort((a, b) => a - b);
    const firstSorted = [...firstLatencies].sort((a, b) => a - b);
    const mb = bytes => +(bytes / 2 ** 20).toFixed(1);
    const run = memory.runs[0] || {};
    if (filesDone !== files || !summary || summary.files !== files || run.files !== files) {
      throw new Error(`capacity ${label}: ${filesDone} files handed out, summary ${JSON.stringify(summary)}, server holds ${run.files} results; expected ${files}`);
    }
    return {
      label,
      store: store === 'memory' ? 'memory' : `redis${instances > 1 ? ` x${instances}` : ''}`,
      nodes,
      files,
      fileMs,
      enqMs: Math.round(enqMs),
      joinAllMs: Math.round(joinedMs),
      runMs: Math.round(runMs),
      deqs: sorted.length,
      heldDeqs,
      deqPerSecond: Math.round(sorted.length / (runMs / 1000)),
      p50Ms: +percentile(sorted, 50).toFixed(2),
      p90Ms: +percentile(sorted, 90).toFixed(2),
      p99Ms: +percentile(sorted, 99).toFixed(2),
      maxMs: +sorted[sorted.length - 1].toFixed(2),
      firstDeq: { count: firstSorted.length, p50Ms: +percentile(firstSorted, 50).toFixed(2), p99Ms: +percentile(firstSorted, 99).toFixed(2) },
      serverMemoryMb: {
        baselineRss: mb(memory.baseline.rss),
        peakRss: mb(memory.peak.rss),
        baselineHeapUsed: mb(memory.baseline.heapUsed),
        peakHeapUsed: mb(memory.peak.heapUsed),
        retainedHeapUsedAfterGc: mb(memory.retainedAfterGc.heapUsed),
      },
      summary: { files: summary.files, passed: summary.passed, failed: summary.failed, nodes: summary.nodes },
    };
  } catch (error) {
    for (const s of servers) s.child.kill();
    throw error;
  }
}

async function measureCapacity({ nodes, files, fileMs, redis = true }) {
  const paced = await scenario({ nodes, files, fileMs, label: 'paced' });
  const burst = await scenario({ nodes, files, fileMs: 0, label: 'burst' });
  if (!redis) return { paced, burst };
  const server = await startRedis();
  try {
    const stores = { memory: { paced, burst } };
    for (const instances of [1, 2]) {
      const store = { redis: server.url, instances };
      const name = instances === 1 ? 'redis' : 'redis x2';
      const before = await server.memory();
      stores[name] = {
        paced: await scenario({ nodes, files, fileMs, label: 'paced', store }),
        burst: await scenario({ nodes, files, fileMs: 0, label: 'burst', store }),
      };
      const after = await server.memory();
      // What Redis holds for the two runs (kept until they expire), and its peak.
      stores[name].redisMemoryMb = { heldForTwoRuns: +((after.used - before.used) / 2 ** 20).toFixed(1), peak: +(after.peak / 2 ** 20).toFixed(1) };
    }
    return { paced, burst, stores };
  } finally {
    await server.stop();
  }
}

module.exports = { measureCapacity };

if (require.main === module) {
  measureCapacity({ nodes: 200, files: 10_000, fileMs: 100 }).then(r => console.log(JSON.stringify(r, null, 2)), e => {
    console.error(e);
    process.exit(1);
  });
}
