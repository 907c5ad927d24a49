/**
 * Cache-aware scheduling with real nodes, each with its own Jest
 * cacheDirectory as CI restores one per shard: a node records the files it
 * ran in its cache, sends them when it joins again, and is handed them
 * first. Who holds what is read from the server's record of the run, while
 * the gated files hold every node on its first batch.
 */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startServer, type OrchestratorServer } from '../../src/server';
import { CACHE_RECORD_FILE } from '../../src/runner/cacheRecord';
import { Gates } from '../helpers/gates';
import { fixture, fixtureFiles, startJestNode, until, type RunningNode } from '../helpers/jestNodes';

const KEY = 'cache-aware-secret-71c2';
let server: OrchestratorServer;
let caches: string;
const FILES = fixtureFiles('gated');

beforeAll(async () => {
  server = await startServer({ host: '127.0.0.1', port: 0, secretKeys: [KEY] });
  caches = fs.mkdtempSync(path.join(os.tmpdir(), 'jest-fast-ci-caches-'));
});

afterAll(async () => {
  await server.close();
  fs.rmSync(caches, { recursive: true, force: true });
});

function cacheDir(node: string): string {
  return path.join(caches, node);
}

function recorded(node: string): string[] {
  const text = fs.readFileSync(path.join(cacheDir(node), CACHE_RECORD_FILE), 'utf8');
  return Object.keys((JSON.parse(text) as { files: Record<string, number> }).files).sort();
}

function start(node: string, buildId: string, env: Record<string, string> = {}): RunningNode {
  return startJestNode({
    cwd: fixture('gated'),
    args: [`--cacheDirectory=${cacheDir(node)}`, '--maxWorkers=2'],
    env: { FAST_CI_SECRET_KEY: KEY, FAST_CI_SERVER: server.url, FAST_CI_BUILD_ID: buildId, FAST_CI_NODE_ID: node, ...env },
  });
}

/** The files the server has leased to the node with this node_id now. */
function leasedTo(buildId: string, node: string): string[] {
  const run = server.run(buildId);
  const index = run?.nodes.find(n => n.nodeId === node)?.index;
  return Object.entries(run?.leased ?? {})
    .filter(([, holder]) => holder === index)
    .map(([id]) => id)
    .sort();
}

it('records in each node\'s cache the files it ran, and hands each node its own files first on the next run', async () => {
  // Yesterday: no records; each node writes the files the server says it ran.
  const yesterday = `cache-a-${randomUUID()}`;
  const first = await Promise.all(['a', 'b'].map(node => start(node, yesterday).done));
  for (const outcome of first) expect(outcome.code).toBe(0);
  const run = server.run(yesterday)!;
  for (const node of ['a', 'b']) {
    const index = run.nodes.find(n => n.nodeId === node)!.index;
    const ran = Object.entries(run.results).filter(([, r]) => r.nodeIndex === index).map(([id]) => id).sort();
    if (ran.length > 0) expect(recorded(node)).toEqual(ran);
  }
  expect([...new Set([...recorded('a'), ...(fs.existsSync(path.join(cacheDir('b'), CACHE_RECORD_FILE)) ? recorded('b') : [])])].sort()).toEqual(FILES);

  // Today: caches as CI restored them, one half of the suite in each (written as a node writes them).
  const halves = { a: FILES.slice(4), b: FILES.slice(0, 4) }; // a's half is not the queue's front: without the records, a would take gated1 and gated2.
  for (const [node, files] of Object.entries(halves)) {
    fs.writeFileSync(path.join(cacheDir(node), CACHE_RECORD_FILE), JSON.stringify({ version: 1, files: Object.fromEntries(files.map(f => [f, Date.now()])) }));
  }
  const gates = new Gates();
  try {
    const today = `cache-b-${randomUUID()}`;
    const a = start('a', today, gates.env);
    await until(() => (leasedTo(today, 'a').length === 2 ? true : undefined), 'node a to hold its first batch');
    const b = start('b', today, gates.env);
    await until(() => (leasedTo(today, 'b').length === 2 ? true : undefined), 'node b to hold its first batch');
    // A node without a record (its cache not restored) still gets work.
    const c = start('c', today, gates.env);
    await until(() => (leasedTo(today, 'c').length > 0 ? true : undefined), 'node c to get work');
    const firstOfA = leasedTo(today, 'a');
    const firstOfB = leasedTo(today, 'b');
    expect(firstOfA.every(id => halves.a.includes(id))).toBe(true);
    expect(firstOfB.every(id => halves.b.includes(id))).toBe(true);
    expect(a.output()).toMatch(/this machine's Jest cache has run 4 of the 8 test files before/);
    expect(c.output()).toMatch(/no record of earlier runs in this machine's Jest cache/);
    gates.openAll();
    const outcomes = await Promise.all([a.done, b.done, c.done]);
    for (const outcome of outcomes) expect(outcome.code).toBe(0);
    expect(Object.keys(server.run(today)!.results).sort()).toEqual(FILES);
    // Each record grew by what its node ran today.
    expect(recorded('c').length).toBeGreaterThan(0);
  } finally {
    gates.remove();
  }
});
