/**
 * Faults a real run must survive, with real jest processes and the real
 * server: a node killed mid-batch, node 0 gone before it enqueued, a node
 * stopped while it holds files, a late joiner, and the secret in debug logs.
 */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startServer, type OrchestratorServer, type ServerOptions } from '../../src/server';
import { joinBareNode } from '../helpers/bareNode';
import { fixture, runJestNode, startJestNode, until } from '../helpers/jestNodes';

const KEY = 'faults-secret-5eb1';
const slowFiles = fs.readdirSync(path.join(fixture('slow'), 'test')).map(f => `test/${f}`).sort();

let server: OrchestratorServer | undefined;

async function serve(options: Partial<ServerOptions> = {}): Promise<OrchestratorServer> {
  server = await startServer({ host: '127.0.0.1', port: 0, secretKeys: [KEY], ...options });
  return server;
}

afterEach(async () => {
  await server?.close();
  server = undefined;
});

function env(s: OrchestratorServer, buildId: string, nodeId: string): Record<string, string> {
  return { FAST_CI_SECRET_KEY: KEY, FAST_CI_SERVER: s.url, FAST_CI_BUILD_ID: buildId, FAST_CI_NODE_ID: nodeId };
}

/** The index the server gave the node with this node id. */
function indexOf(s: OrchestratorServer, buildId: string, nodeId: string): number | undefined {
  return s.run(buildId)?.nodes.find(n => n.nodeId === nodeId)?.index;
}

/** Waits until `nodeId` holds files without results (and the `others` have joined); returns those files. */
function filesHeldBy(s: OrchestratorServer, buildId: string, nodeId: string, others: string[]): Promise<string[]> {
  return until(() => {
    const run = s.run(buildId);
    const index = indexOf(s, buildId, nodeId);
    if (!run || index === undefined || others.some(id => indexOf(s, buildId, id) === undefined)) return undefined;
    const files = Object.entries(run.leased).filter(([, node]) => node === index).map(([id]) => id);
    return files.length > 0 ? files : undefined;
  }, `${nodeId} to hold a file`);
}

it('re-runs the files of a node killed mid-batch on another node; nothing lost, nothing twice', async () => {
  const s = await serve({ reconnectGraceMs: 300 });
  const buildId = randomUUID();
  const a = startJestNode({ cwd: fixture('slow'), env: env(s, buildId, 'node-a'), args: ['--maxWorkers=2'] });
  const b = startJestNode({ cwd: fixture('slow'), env: env(s, buildId, 'node-b'), args: ['--maxWorkers=2'] });

  // Kill node a while it holds at least one file it has not reported.
  const held = await filesHeldBy(s, buildId, 'node-a', ['node-b']);
  a.child.kill('SIGKILL');

  const survivor = await b.done;
  const killed = await a.done;
  expect(killed.signal).toBe('SIGKILL');
  expect(survivor.code).toBe(0);

  const run = await s.waitForRun(buildId);
  const ib = indexOf(s, buildId, 'node-b');
  expect(Object.keys(run.results).sort()).toEqual(slowFiles);
  for (const id of held) expect(run.results[id]!.nodeIndex).toBe(ib);
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

  const outcome = await node.done;
  expect(outcome.code).toBe(0);
  const run = await s.waitForRun(buildId);
  expect(Object.keys(run.results)).toHaveLength(12);
  expect(Object.values(run.results).every(r => r.nodeIndex === 1)).toBe(true);
});

it('lets a late joiner exit 0 with nothing to run once the queue is drained', async () => {
  const s = await serve();
  const buildId = randomUUID();
  expect((await runJestNode({ cwd: fixture('basic'), env: env(s, buildId, 'first') })).code).toBe(0);
  const late = await runJestNode({ cwd: fixture('basic'), env: env(s, buildId, 'late') });
  expect(late.code).toBe(0);
  expect(late.output).toContain('ran 0 of 12 files here');
  expect(late.output).toContain('whole run: 12 files on 1 node: 12 passed');
});

it('fails a retried job that joins a finished, failed run and runs nothing, instead of turning it green', async () => {
  const s = await serve();
  const buildId = randomUUID();
  expect((await runJestNode({ cwd: fixture('failing'), env: env(s, buildId, 'first') })).code).toBe(1);
  const retried = await runJestNode({ cwd: fixture('failing'), env: env(s, buildId, 'retried') });
  expect(retried.code).toBe(1);
  expect(retried.output).toContain(`had already finished with 2 failed files when this node joined, and this node ran nothing`);
  expect(retried.output).toContain('set FAST_CI_BUILD_ID to a new value');
});

it('re-runs the files of a stopped node after its lease times out and ignores its late results', async () => {
  const s = await serve({ leaseTimeoutMs: 4_000 });
  const buildId = randomUUID();
  const a = startJestNode({ cwd: fixture('slow'), env: env(s, buildId, 'node-a'), args: ['--maxWorkers=1'] });
  const b = startJestNode({ cwd: fixture('slow'), env: env(s, buildId, 'node-b'), args: ['--maxWorkers=2'] });
  const held = await filesHeldBy(s, buildId, 'node-a', ['node-b']);
  a.child.kill('SIGSTOP');
  try {
    const run = await s.waitForRun(buildId);
    const ib = indexOf(s, buildId, 'node-b');
    for (const id of held) expect(run.results[id]!.nodeIndex).toBe(ib);
    expect(Object.keys(run.results).sort()).toEqual(slowFiles);
  } finally {
    a.child.kill('SIGCONT');
  }
  const [outA, outB] = await Promise.all([a.done, b.done]);
  expect(outB.code).toBe(0);
  // Node a wakes up, finishes what it held and reports it: too late, ignored.
  expect(outA.code).toBe(0);
  await until(() => (s.run(buildId)!.warnings.length > 0 ? true : undefined), 'the late result to be noted');
  expect(s.run(buildId)!.warnings.join('\n')).toMatch(new RegExp(held[0]!.replace(/[.]/g, '\\.')));
});

it('never prints the secret, even with DEBUG=*', async () => {
  const s = await serve();
  const node = await runJestNode({ cwd: fixture('basic'), env: { ...env(s, randomUUID(), 'debug'), DEBUG: '*' } });
  expect(node.code).toBe(0);
  expect(node.output).toContain('jest-fast-ci:client');
  expect(node.output).not.toContain(KEY);
});
