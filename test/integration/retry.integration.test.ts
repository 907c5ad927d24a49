/**
 * FAST_CI_RETRY with real nodes: a file that fails once runs again on the
 * other node; the run is green, the file is reported flaky, and the node
 * that saw the failure shows it without failing for it. The flaky file
 * waits on its gate until both nodes have joined, so "the other node" is
 * always there.
 */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startServer, type OrchestratorServer } from '../../src/server';
import { Gates } from '../helpers/gates';
import { fixture, startJestNode, until, type NodeOutcome } from '../helpers/jestNodes';

const KEY = 'retry-secret-c4d1';
let server: OrchestratorServer;
let markerDir: string;
let gates: Gates;

beforeAll(async () => {
  server = await startServer({ host: '127.0.0.1', port: 0, secretKeys: [KEY] });
  markerDir = fs.mkdtempSync(path.join(os.tmpdir(), 'jest-fast-ci-flaky-'));
});

beforeEach(() => {
  gates = new Gates();
});

afterEach(() => gates.remove());

afterAll(async () => {
  await server.close();
  fs.rmSync(markerDir, { recursive: true, force: true });
});

/** Two nodes on the flaky fixture; the flaky file runs once both have joined. */
async function twoNodes(buildId: string, extra: Record<string, string> = {}): Promise<NodeOutcome[]> {
  const env = {
    FAST_CI_SECRET_KEY: KEY,
    FAST_CI_SERVER: server.url,
    FAST_CI_BUILD_ID: buildId,
    FAST_CI_RETRY: '1',
    FLAKY_MARKER: path.join(markerDir, buildId),
    ...gates.env,
    ...extra,
  };
  const nodes = [0, 1].map(() => startJestNode({ cwd: fixture('flaky'), env }));
  await until(() => (server.run(buildId)?.nodes.length === 2 ? true : undefined), 'both nodes to join');
  gates.openAll();
  return Promise.all(nodes.map(n => n.done));
}

it('runs a file that failed once on the other node, and the run is green with the file reported flaky', async () => {
  const buildId = randomUUID();
  const nodes = await twoNodes(buildId);
  const run = server.run(buildId)!;
  expect(run.summary).toMatchObject({ files: 4, passed: 4, failed: 0, flaky: ['test/flaky.test.js'] });
  for (const node of nodes) expect(node).toExitWith(0);

  const failedOn = run.retries['test/flaky.test.js']![0];
  const sawFailure = nodes.find(n => n.nodeIndex === failedOn)!;
  expect(sawFailure.output).toContain('jest-fast-ci: test/flaky.test.js failed on this node and will run again on another node (FAST_CI_RETRY)');
  expect(sawFailure.output).toContain('flaky failure on purpose');
  expect(run.results['test/flaky.test.js']!.nodeIndex).not.toBe(failedOn);
  for (const node of nodes) {
    expect(node.output).toContain('jest-fast-ci ▸ flaky: 1 file failed, then passed when run again: test/flaky.test.js');
  }
});

it('fails the node that ran the last attempt when the file fails every time (FAST_CI_REPORT=node)', async () => {
  const buildId = randomUUID();
  const nodes = await twoNodes(buildId, { FLAKY_ALWAYS: '1', FAST_CI_REPORT: 'node' });
  const run = server.run(buildId)!;
  expect(run.summary).toMatchObject({ files: 4, passed: 3, failed: 1 });
  expect(run.summary.flaky).toBeUndefined();
  const last = run.results['test/flaky.test.js']!.nodeIndex;
  expect(run.retries['test/flaky.test.js']).toEqual([1 - last]);
  for (const node of nodes) expect(node).toExitWith(node.nodeIndex === last ? 1 : 0);
});
