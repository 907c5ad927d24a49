'use strict';
/**
 * The orchestrator alone in its own process, so its memory can be measured
 * without the simulated clients in the same heap. Talks to the parent over
 * IPC: sends { url } once listening; on 'stop' sends the peak and final
 * memory figures, closes the server and exits. With BENCH_REDIS_URL it
 * keeps its runs there (under BENCH_REDIS_PREFIX), as one of several
 * servers on one Redis would.
 */
const path = require('node:path');
const { startServer } = require(path.resolve(__dirname, '../../dist/server'));

const SAMPLE_MS = 20;

(async () => {
  const redis = process.env.BENCH_REDIS_URL ? { redis: process.env.BENCH_REDIS_URL, redisPrefix: process.env.BENCH_REDIS_PREFIX } : {};
  const server = await startServer({ host: '127.0.0.1', port: 0, secretKeys: [process.env.BENCH_KEY || 'bench-key'], ...redis });
  global.gc?.();
  const baseline = process.memoryUsage();
  const peak = { rss: baseline.rss, heapUsed: baseline.heapUsed };
  // Sampling on a timer misses spikes shorter than SAMPLE_MS; good enough for a
  // server whose state grows with the run, not in bursts.
  const timer = setInterval(() => {
    const m = process.memoryUsage();
    if (m.rss > peak.rss) peak.rss = m.rss;
    if (m.heapUsed > peak.heapUsed) peak.heapUsed = m.heapUsed;
  }, SAMPLE_MS);
  process.on('message', async message => {
    if (message !== 'stop') return;
    clearInterval(timer);
    const before = process.memoryUsage();
    global.gc?.();
    // Finished runs are kept for inspection (finishedRunTtlMs), so this is what one 10k-file run costs to hold.
    const retained = process.memoryUsage();
    process.send({ baseline, peak, atEnd: before, retainedAfterGc: retained, runs: server.runs().map(r => ({ state: r.state, files: Object.keys(r.results).length, nodes: r.nodes.length, warnings: r.warnings.length })) });
    await server.close();
    process.disconnect();
  });
  process.send({ url: server.url });
})().catch(error => {
  console.error(error);
  process.exit(1);
});
