/**
 * A connection lost mid-run: the client reconnects and rejoins as the same
 * node, keeps its leases, re-sends what the server had not acknowledged, and
 * the run completes with every file run exactly once. The cut comes while
 * both nodes run gated files, so no result is on its way when it does.
 */
import { randomUUID } from 'node:crypto';
import { startServer, type OrchestratorServer } from '../../src/server';
import { startProxy, type CuttableProxy } from '../helpers/cuttableProxy';
import { Gates } from '../helpers/gates';
import { filesRun, fixture, startJestNode } from '../helpers/jestNodes';

const KEY = 'reconnect-secret-91d2';
let server: OrchestratorServer;
let proxy: CuttableProxy;
let gates: Gates;

beforeEach(async () => {
  // The grace is long enough that a reconnect, not a requeue, keeps the files.
  server = await startServer({ host: '127.0.0.1', port: 0, secretKeys: [KEY], reconnectGraceMs: 20_000 });
  proxy = await startProxy(server.port);
  gates = new Gates();
});

afterEach(async () => {
  await proxy.close();
  await server.close();
  gates.remove();
});

/** Each node reports its own files (FAST_CI_REPORT=node): its PASS lines are then what it ran. */
function env(buildId: string, nodeId: string, extra: Record<string, string> = {}): Record<string, string> {
  return { FAST_CI_SECRET_KEY: KEY, FAST_CI_SERVER: proxy.url, FAST_CI_BUILD_ID: buildId, FAST_CI_NODE_ID: nodeId, FAST_CI_REPORT: 'node', ...gates.env, ...extra };
}

/** Both nodes run a gated file: each holds a lease whose result cannot have been sent. */
async function bothRunning(): Promise<void> {
  await Promise.all([gates.startedBy('node-a'), gates.startedBy('node-b')]);
}

it('survives the network going away for a second while both nodes hold files', async () => {
  const buildId = randomUUID();
  const nodes = ['node-a', 'node-b'].map(id => startJestNode({ cwd: fixture('gated'), env: env(buildId, id), args: ['--maxWorkers=2'] }));
  await bothRunning();
  const before = proxy.accepted;
  proxy.cut(1_000);
  gates.openAll();

  const outcomes = await Promise.all(nodes.map(n => n.done));
  for (const outcome of outcomes) expect(outcome).toExitWith(0);
  expect(proxy.accepted).toBeGreaterThanOrEqual(before + 2);

  const run = await server.waitForRun(buildId);
  expect(Object.keys(run.results)).toHaveLength(8);
  expect(run.nodes.map(n => n.index).sort()).toEqual([0, 1]);
  // Each file ran once: the PASS lines across both nodes name each file once.
  expect(outcomes.flatMap(o => filesRun(o.output)).sort()).toEqual(Object.keys(run.results).sort());
});

it('falls back to the shard share, less what ran here, when the server stays gone past the reconnect timeout', async () => {
  const buildId = randomUUID();
  const nodes = ['node-a', 'node-b'].map((id, index) =>
    startJestNode({
      cwd: fixture('gated'),
      env: env(buildId, id, { FAST_CI_RECONNECT_TIMEOUT: '2', FAST_CI_NODE_INDEX: String(index), FAST_CI_NODE_TOTAL: '2' }),
      args: ['--maxWorkers=2'],
    }),
  );
  await bothRunning();
  proxy.cut(600_000);
  gates.openAll();

  const outcomes = await Promise.all(nodes.map(n => n.done));
  for (const o of outcomes) {
    expect(o).toExitWith(0);
    expect(o.output).toContain('jest-fast-ci: WARNING: fallback mode. Lost the connection to the orchestrator');
    expect(o.output).toMatch(/running shard \d of 2: \d+ of 8 files, split by file size/);
  }
  // At least once: every file ran on some node, before or after the outage.
  expect(new Set(outcomes.flatMap(o => filesRun(o.output))).size).toBe(8);
});

it('FAST_CI_FALLBACK=off on a lost connection: the node fails once the reconnect timeout is over, and runs nothing more', async () => {
  const buildId = randomUUID();
  const nodes = ['node-a', 'node-b'].map(id =>
    startJestNode({
      cwd: fixture('gated'),
      env: env(buildId, id, { FAST_CI_RECONNECT_TIMEOUT: '2', FAST_CI_FALLBACK: 'off' }),
      args: ['--maxWorkers=2'],
    }),
  );
  await bothRunning();
  proxy.cut(600_000);
  // Frozen from here: no node can reach the server to take more.
  const heldAtCut = Object.keys(server.run(buildId)!.leased);
  gates.openAll();

  const outcomes = await Promise.all(nodes.map(n => n.done));
  for (const o of outcomes) {
    expect(o).toExitWith(1);
    expect(o.output).toContain('Lost the connection to the orchestrator at');
    expect(o.output).toContain('FAST_CI_FALLBACK=off: not running any more tests without the orchestrator.');
    expect(o.output).not.toContain('fallback mode');
  }
  // Only what the nodes held when the connection went ran: no file was run without the orchestrator's say.
  for (const file of outcomes.flatMap(o => filesRun(o.output))) expect(heldAtCut).toContain(file);
});
