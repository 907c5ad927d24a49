/**
 * Faults a real run must survive, with real jest processes and the real
 * server: a node killed mid-batch, node 0 gone before it enqueued, a node
 * stopped while it holds files, a late joiner, and the secret in debug logs.
 * Faults strike while a node is known to run a gated file (test/helpers/gates.ts),
 * so no result can be on its way when they do.
 */
import { randomUUID } from 'node:crypto';
import { startServer, type OrchestratorServer, type ServerOptions } from '../../src/server';
import { joinBareNode } from '../helpers/bareNode';
import { Gates } from '../helpers/gates';
import { fixture, fixtureFiles, runJestNode, startJestNode, until } from '../helpers/jestNodes';

const KEY = 'faults-secret-5eb1';
const gatedFiles = fixtureFiles('gated');

let server: OrchestratorServer | undefined;
let gates: Gates | undefined;

async function serve(options: Partial<ServerOptions> = {}): Promise<OrchestratorServer> {
  server = await startServer({ host: '127.0.0.1', port: 0, secretKeys: [KEY], ...options });
  return server;
}

afterEach(async () => {
  await server?.close();
  server = undefined;
  gates?.remove();
  gates = undefined;
});

function env(s: OrchestratorServer, buildId: string, nodeId: string): Record<string, string> {
  return { FAST_CI_SECRET_KEY: KEY, FAST_CI_SERVER: s.url, FAST_CI_BUILD_ID: buildId, FAST_CI_NODE_ID: nodeId, ...gates?.env };
}

/** The index the server gave the node with this node id. */
function indexOf(s: OrchestratorServer, buildId: string, nodeId: string): number | undefined {
  return s.run(buildId)?.nodes.find(n => n.nodeId === nodeId)?.index;
}

it('re-runs the files of a node killed mid-batch on another node; nothing lost, nothing twice', async () => {
  const s = await serve({ reconnectGraceMs: 300 });
  gates = new Gates();
  const buildId = randomUUID();
  const a = startJestNode({ cwd: fixture('gated'), env: env(s, buildId, 'node-a'), args: ['--maxWorkers=2'] });
  const b = startJestNode({ cwd: fixture('gated'), env: env(s, buildId, 'node-b'), args: ['--maxWorkers=2'] });

  // Node a is running a file it cannot have reported: kill it (and its workers) there.
  const held = await gates.startedBy('node-a');
  a.signal('SIGKILL');
  gates.openAll();

  const survivor = await b.done;
  const killed = await a.done;
  expect(killed.signal).toBe('SIGKILL');
  expect(survivor).toExitWith(0);

  const run = await s.waitForRun(buildId);
  const ib = indexOf(s, buildId, 'node-b');
  expect(Object.keys(run.results).sort()).toEqual(gatedFiles);
  for (const name of held) expect(run.results[`test/${name}.test.js`]!.nodeIndex).toBe(ib);
  // The survivor ran exactly the files the server recorded from it.
  const fromB = Object.values(run.results).filter(r => r.nodeIndex === ib).length;
  expect(survivor.output).toContain(`Test Suites: ${fromB} passed, ${fromB} total`);
});

it('asks another node to enqueue when node 0 leaves before its enq landed', async () => {
  const s = await serve({ reconnectGraceMs: 200 });
  const buildId = randomUUID();
  // Node 0: a bare phoenix client that joins and then vanishes without enq.
  const nodeZero = await joinBareNode(s.url, KEY, buildId);
  expect(nodeZero.nodeIndex).toBe(0);

  const node = startJestNode({ cwd: fixture('basic'), env: env(s, buildId, 'node-1') });
  await until(() => (indexOf(s, buildId, 'node-1') === 1 ? true : undefined), 'the jest node to join as node 1');
  await nodeZero.disconnect(1001);

  expect(await node.done).toExitWith(0);
  const run = await s.waitForRun(buildId);
  expect(Object.keys(run.results)).toHaveLength(12);
  expect(Object.values(run.results).every(r => r.nodeIndex === 1)).toBe(true);
});

it('lets a late joiner exit 0 with nothing to run once the queue is drained', async () => {
  const s = await serve();
  const buildId = randomUUID();
  expect(await runJestNode({ cwd: fixture('basic'), env: env(s, buildId, 'first') })).toExitWith(0);
  const late = await runJestNode({ cwd: fixture('basic'), env: env(s, buildId, 'late') });
  expect(late).toExitWith(0);
  expect(late.output).toContain('ran 0 of 12 files here');
  expect(late.output).toContain('whole run: 12 files on 1 node: 12 passed');
});

it('re-runs the failed files of a finished, failed run for a job that joins it again, instead of turning it green', async () => {
  const s = await serve();
  const buildId = randomUUID();
  expect(await runJestNode({ cwd: fixture('failing'), env: env(s, buildId, 'first') })).toExitWith(1);
  // No CI says whether this job is a retry: it is taken as one (retryRun.integration.test.ts has each CI's signals).
  const retried = await runJestNode({ cwd: fixture('failing'), env: env(s, buildId, 'retried') });
  expect(retried).toExitWith(1);
  expect(retried.output).toContain(`retry of build ${buildId}: re-ran 2 failed files of 6; 4 passed in attempt 1`);
  expect(retried.output).toContain('ran 2 of 6 files here');
});

it('re-runs the files of a stopped node after its lease times out and ignores its late results', async () => {
  const s = await serve({ leaseTimeoutMs: 3_000 });
  gates = new Gates();
  const buildId = randomUUID();
  const a = startJestNode({ cwd: fixture('gated'), env: env(s, buildId, 'node-a'), args: ['--maxWorkers=1'] });
  const b = startJestNode({ cwd: fixture('gated'), env: env(s, buildId, 'node-b'), args: ['--maxWorkers=2'] });
  const [held] = await gates.startedBy('node-a');
  const heldId = `test/${held}.test.js`;
  // The whole group: the jest process and the worker running the held file.
  a.signal('SIGSTOP');
  gates.openAll();
  try {
    const run = await s.waitForRun(buildId);
    const ib = indexOf(s, buildId, 'node-b');
    expect(run.results[heldId]!.nodeIndex).toBe(ib);
    expect(Object.keys(run.results).sort()).toEqual(gatedFiles);
  } finally {
    a.signal('SIGCONT');
  }
  const [outA, outB] = await Promise.all([a.done, b.done]);
  expect(outB).toExitWith(0);
  // Node a wakes up, finishes what it held and reports it: too late, ignored.
  expect(outA).toExitWith(0);
  const late = await until(
    () => s.run(buildId)!.warnings.find(w => w.includes(`ignored result for "${heldId}" from node ${indexOf(s, buildId, 'node-a')}`)),
    'the late result to be noted',
  );
  expect(late).toMatch(/already has a result from node/);
});

it('never prints the secret, even with DEBUG=*', async () => {
  const s = await serve();
  const node = await runJestNode({ cwd: fixture('basic'), env: { ...env(s, randomUUID(), 'debug'), DEBUG: '*' } });
  expect(node).toExitWith(0);
  expect(node.output).toContain('jest-fast-ci:client');
  expect(node.output).not.toContain(KEY);
});
