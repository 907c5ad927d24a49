#!/usr/bin/env node
'use strict';
/**
 * The run page at scale, in Debian's Chromium (playwright-core): a live run
 * of N files (default 10,000) whose results come in over `--seconds`
 * (default 15) from nodes speaking the protocol with the official phoenix
 * client, while the page is open. Prints how long the page took to show
 * the run (from navigation to its progress line) and the share of that
 * window the page's main thread was busy (Chrome's TaskDuration), then the
 * same for the finished run.
 *
 *   npm run build && node examples/benchmark/page.js [--files 10000] [--seconds 15] [--nodes 4]
 */
const { parseArgs } = require('node:util');
const { randomBytes } = require('node:crypto');
const path = require('node:path');
const { Socket } = require('phoenix');
const WebSocket = require('ws');
const { chromium } = require('playwright-core');

const REPO = path.resolve(__dirname, '../..');
const { startServer } = require(path.join(REPO, 'dist/server'));
const { pendingEntry } = require(path.join(REPO, 'dist/protocol/entries'));

const { values } = parseArgs({ options: { files: { type: 'string', default: '10000' }, seconds: { type: 'string', default: '15' }, nodes: { type: 'string', default: '4' } } });
const FILES = Number(values.files);
const SECONDS = Number(values.seconds);
const NODES = Number(values.nodes);
const KEY = randomBytes(12).toString('hex');
const PASSED = { file_status: 'passed', test_count: 3, test_counters: { passed: 3, failed: 0, pending: 0 }, run_time: 0.4, '1': { status: 'passed', run_time: 0.1, description: 'a' }, '2': { status: 'passed', run_time: 0.1, description: 'b' }, '3': { status: 'passed', run_time: 0.2, description: 'c' } };

async function join(url, buildId) {
  const socket = new Socket(`${url}/test_orchestrators/socket`, { transport: WebSocket, params: { secret_key: KEY, build_id: buildId, run_key: 'jest' } });
  socket.connect();
  const channel = socket.channel(`test_orchestrator:jest-${buildId}`, { workers: 8 });
  await new Promise((resolve, reject) => channel.join().receive('ok', resolve).receive('error', reject));
  const push = (event, payload) => new Promise((resolve, reject) => channel.push(event, payload, 30_000).receive('ok', resolve).receive('error', reject));
  return { push, close: () => new Promise(resolve => socket.disconnect(resolve)) };
}

/** Nodes pull batches and send results, paced so the run lasts about `seconds`. */
async function runNodes(url, buildId, seconds) {
  const nodes = [];
  for (let i = 0; i < NODES; i += 1) nodes.push(await join(url, buildId));
  const ids = Array.from({ length: FILES }, (_, i) => `test/generated/module-${String(i).padStart(5, '0')}.test.ts`);
  await nodes[0].push('enq', { tests: Object.fromEntries(ids.map(id => [id, pendingEntry(400)])) });
  const perFileMs = (seconds * 1000 * NODES) / FILES;
  await Promise.all(
    nodes.map(async node => {
      let batch = (await node.push('deq', {})).tests;
      while (batch.length > 0) {
        await new Promise(resolve => setTimeout(resolve, perFileMs * batch.length));
        batch = (await node.push('deq', Object.fromEntries(batch.map(id => [id, PASSED])))).tests;
      }
      await node.close();
    }),
  );
}

async function measure(page, cdp, hash, text, windowMs) {
  const busy = async () => (await cdp.send('Performance.getMetrics')).metrics.find(m => m.name === 'TaskDuration').value;
  const before = await busy();
  const started = Date.now();
  await page.evaluate(to => (location.hash = to), hash);
  await page.waitForFunction(expected => document.querySelector('#progress-text')?.textContent.includes(expected), text, { timeout: 60_000 });
  const openMs = Date.now() - started;
  if (windowMs > openMs) await new Promise(resolve => setTimeout(resolve, windowMs - openMs));
  const elapsed = Date.now() - started;
  return { openMs, busyShare: ((await busy()) - before) / (elapsed / 1000), elapsed };
}

async function main() {
  const server = await startServer({ host: '127.0.0.1', port: 0, secretKeys: [KEY], warn: () => undefined });
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'] });
  try {
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
    await page.goto(server.dashboardUrl);
    await page.fill('#credential', KEY);
    await page.click('button[type=submit]');
    await page.waitForSelector('h1:text-is("Recent runs")');
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Performance.enable');

    const live = `page-live-${Date.now()}`;
    const running = runNodes(server.url, live, SECONDS);
    // Open once a third of the results are in: the snapshot is a live run's, the rest arrives as deltas.
    while ((server.run(live)?.summary?.files ?? 0) === 0 && Object.keys(server.run(live)?.results ?? {}).length < FILES / 3) await new Promise(r => setTimeout(r, 100));
    const whileLive = await measure(page, cdp, `#/runs/jest/${live}`, ` of ${FILES} files`, ((SECONDS * 2) / 3) * 1000);
    await running;
    await page.evaluate(() => (location.hash = '#/'));
    const finished = await measure(page, cdp, `#/runs/jest/${live}`, `${FILES} of ${FILES} files`, 5_000);
    const snapshotBytes = await page.evaluate(p => fetch(p).then(r => r.text()).then(t => t.length), `api/runs/jest/${live}`);
    console.log(`run page, ${FILES} files on ${NODES} nodes over ${SECONDS} s; snapshot ${(snapshotBytes / 1024 / 1024).toFixed(1)} MiB`);
    console.log(`  live run:     opened in ${(whileLive.openMs / 1000).toFixed(2)} s; main thread busy ${(100 * whileLive.busyShare).toFixed(0)} % of ${(whileLive.elapsed / 1000).toFixed(1)} s`);
    console.log(`  finished run: opened in ${(finished.openMs / 1000).toFixed(2)} s; main thread busy ${(100 * finished.busyShare).toFixed(0)} % of ${(finished.elapsed / 1000).toFixed(1)} s`);
  } finally {
    await browser.close();
    await server.close();
  }
}

main().catch(error => {
  console.error(error);
  process.exit(1);
});
