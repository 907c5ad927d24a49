/**
 * A connection lost mid-run: the client reconnects and rejoins as the same
 * node, keeps its leases, re-sends what the server had not acknowledged, and
 * the run completes with every file run exactly once.
 */
import { randomUUID } from 'node:crypto';
import { startServer, type OrchestratorServer } from '../../src/server';
import { startProxy, type CuttableProxy } from '../helpers/cuttableProxy';
import { fixture, startJestNode, until } from '../helpers/jestNodes';

const KEY = 'reconnect-secret-91d2';
let server: OrchestratorServer;
let proxy: CuttableProxy;

beforeEach(async () => {
  // The grace is long enough that a reconnect, not a requeue, keeps the files.
  server = await startServer({ host: '127.0.0.1', port: 0, secretKeys: [KEY], reconnectGraceMs: 20_000 });
  proxy = await startProxy(server.port);
});

afterEach(async () => {
  await proxy.close();
  await server.close();
});

it('survives the network going away for a second while both nodes hold files', async () => {
  const buildId = randomUUID();
  const env = (id: string) => ({ FAST_CI_SECRET_KEY: KEY, FAST_CI_SERVER: proxy.url, FAST_CI_BUILD_ID: buildId, FAST_CI_NODE_ID: id });
  const nodes = ['node-a', 'node-b'].map(id => startJestNode({ cwd: fixture('slow'), env: env(id), args: ['--maxWorkers=2'] }));

  await until(() => {
    const run = server.run(buildId);
    return run && run.nodes.length === 2 && new Set(Object.values(run.leased)).size === 2 ? true : undefined;
  }, 'both nodes to hold files');
  const before = proxy.accepted;
  proxy.cut(1_000);

  const outcomes = await Promise.all(nodes.map(n => n.done));
  expect(outcomes.map(o => o.code)).toEqual([0, 0]);
  expect(proxy.accepted).toBeGreaterThanOrEqual(before + 2);

  const run = await server.waitForRun(buildId);
  expect(Object.keys(run.results)).toHaveLength(8);
  expect(run.nodes.map(n => n.index).sort()).toEqual([0, 1]);
  // Each file ran once: the PASS lines across both nodes name each file once.
  const passed = outcomes.flatMap(o => [...o.output.matchAll(/PASS (test\/\S+)/g)].map(m => m[1])).sort();
  expect(passed).toEqual(Object.keys(run.results).sort());
});

it('falls back to the shard share, less what ran here, when the server stays gone past the reconnect timeout', async () => {
  const buildId = randomUUID();
  const env = (index: number) => ({
    FAST_CI_SECRET_KEY: KEY,
    FAST_CI_SERVER: proxy.url,
    FAST_CI_BUILD_ID: buildId,
    FAST_CI_RECONNECT_TIMEOUT: '2',
    FAST_CI_NODE_INDEX: String(index),
    FAST_CI_NODE_TOTAL: '2',
  });
  const nodes = [0, 1].map(i => startJestNode({ cwd: fixture('slow'), env: env(i), args: ['--maxWorkers=2'] }));
  await until(() => {
    const run = server.run(buildId);
    return run && run.nodes.length === 2 && new Set(Object.values(run.leased)).size === 2 ? true : undefined;
  }, 'both nodes to hold files');
  proxy.cut(60_000);

  const outcomes = await Promise.all(nodes.map(n => n.done));
  expect(outcomes.map(o => o.code)).toEqual([0, 0]);
  for (const o of outcomes) {
    expect(o.output).toContain('jest-fast-ci: WARNING: fallback mode. Lost the connection to the orchestrator');
    expect(o.output).toMatch(/running shard \d of 2: \d+ of 8 files, split by file size/);
  }
  // At least once: every file ran on some node, before or after the outage.
  const passed = new Set(outcomes.flatMap(o => [...o.output.matchAll(/PASS (test\/\S+)/g)].map(m => m[1])));
  expect(passed.size).toBe(8);
});
