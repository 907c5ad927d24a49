/**
 * A node that speaks like the reference FastCI clients
 * (test/helpers/referenceClient.ts) beside a real `jest` node with this
 * project's runner, on one run of the real server: each can be node 0.
 */
import { randomUUID } from 'node:crypto';
import { startServer, type OrchestratorServer } from '../../src/server';
import { Gates } from '../helpers/gates';
import { filesRun, fixture, fixtureFiles, startJestNode, until } from '../helpers/jestNodes';
import { passedResult, startReferenceNode, type ReferenceResults } from '../helpers/referenceClient';

const KEY = 'reference-secret-16ab';
const basicFiles = fixtureFiles('basic');
const gatedFiles = fixtureFiles('gated');

let server: OrchestratorServer;
let gates: Gates | undefined;

beforeAll(async () => {
  server = await startServer({ host: '127.0.0.1', port: 0, secretKeys: [KEY] });
});

afterEach(() => {
  gates?.remove();
  gates = undefined;
});

afterAll(async () => {
  await server.close();
});

/** Whether the node with this index holds a file or has reported one. */
function hasWork(buildId: string, index: number): boolean {
  const run = server.run(buildId);
  return Object.values(run?.leased ?? {}).includes(index) || Object.values(run?.results ?? {}).some(r => r.nodeIndex === index);
}

function passAll(ids: readonly string[]): ReferenceResults {
  return Object.fromEntries(ids.map(id => [id, passedResult()]));
}

it('a reference node 0 enqueues and runs its share while a jest node runs the rest; every file once', async () => {
  const buildId = randomUUID();
  const reference = startReferenceNode({
    server: server.url,
    secretKey: KEY,
    buildId,
    // The jest nodes' run key and ids: the ids must be the files the jest node finds.
    runKey: 'jest',
    tests: basicFiles,
    run: async ids => {
      // Hold the first batch until the jest node has work too: both take part, whatever the timing.
      await until(() => hasWork(buildId, 1) || undefined, 'the jest node to be handed files');
      return passAll(ids);
    },
    deadlineMs: 60_000,
  });
  expect(await reference.joined).toEqual({ nodeIndex: 0, state: 'waiting' });
  const jest = startJestNode({ cwd: fixture('basic'), env: { FAST_CI_SECRET_KEY: KEY, FAST_CI_SERVER: server.url, FAST_CI_BUILD_ID: buildId, FAST_CI_REPORT: 'node' } });

  const [outcome, node] = await Promise.all([reference.done, jest.done]);
  expect(node).toExitWith(0);
  expect(node.nodeIndex).toBe(1);
  expect(outcome.deqRequests).toBe(1);
  expect(outcome.batches.length).toBeGreaterThan(0);
  const ranByJest = filesRun(node.output);
  expect(ranByJest.length).toBeGreaterThan(0);
  expect([...outcome.batches.flat(), ...ranByJest].sort()).toEqual(basicFiles);

  const run = server.run(buildId)!;
  expect(run.state).toBe('finished');
  expect(run.summary.files_by_node).toEqual({ '0': outcome.batches.flat().length, '1': ranByJest.length });
  expect(node.output).toContain(`ran ${ranByJest.length} of 12 files here`);
  expect(run.warnings).toEqual([]);
});

it('a reference node joins a run a jest node 0 enqueued, is told to start, and runs its share', async () => {
  const buildId = randomUUID();
  gates = new Gates();
  // Gated files: the jest node cannot finish the run before the reference node has its share.
  const jest = startJestNode({
    cwd: fixture('gated'),
    env: { FAST_CI_SECRET_KEY: KEY, FAST_CI_SERVER: server.url, FAST_CI_BUILD_ID: buildId, FAST_CI_NODE_ID: 'jest-0', FAST_CI_REPORT: 'node', ...gates.env },
    args: ['--maxWorkers=2'],
  });
  await until(() => (server.run(buildId)?.nodes.length === 1 ? true : undefined), 'the jest node to join');
  const reference = startReferenceNode({ server: server.url, secretKey: KEY, buildId, runKey: 'jest', tests: gatedFiles, run: passAll, deadlineMs: 60_000 });
  expect((await reference.joined).nodeIndex).toBe(1);
  await until(() => hasWork(buildId, 1) || undefined, 'the reference node to be handed files');
  gates.openAll();

  const [outcome, node] = await Promise.all([reference.done, jest.done]);
  expect(node).toExitWith(0);
  expect(node.nodeIndex).toBe(0);
  // Told to start by a deq_request if it joined before the enq, by the join reply if after.
  expect(outcome.deqRequests).toBe(outcome.joinState === 'waiting' ? 1 : 0);
  expect(outcome.batches.length).toBeGreaterThan(0);
  expect([...outcome.batches.flat(), ...filesRun(node.output)].sort()).toEqual(gatedFiles);
  const run = server.run(buildId)!;
  expect(run.state).toBe('finished');
  expect(run.warnings).toEqual([]);
});
