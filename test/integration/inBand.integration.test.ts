/**
 * In band (`--runInBand`, or Jest's own choice on one core), orchestrated:
 * test files that hold the event loop for longer than the server's 10 s
 * header timeout must not hold the node's network side with them. Files run
 * in one worker process, one at a time, so heartbeats, deqs and report
 * uploads keep flowing, and every node reports the whole run.
 */
import { randomUUID } from 'node:crypto';
import { startServer, type OrchestratorServer } from '../../src/server';
import { fixture, runJestNodes } from '../helpers/jestNodes';

const KEY = 'in-band-secret-9d24';

let server: OrchestratorServer;

beforeAll(async () => {
  server = await startServer({ host: '127.0.0.1', port: 0, secretKeys: [KEY] });
});

afterAll(async () => {
  await server.close();
});

it('keeps two in-band nodes on a run of 11 s synchronous files connected, and each reports the whole run and exits 1', async () => {
  const buildId = randomUUID();
  const nodes = await runJestNodes(2, {
    cwd: fixture('blocking'),
    args: ['--runInBand'],
    env: { FAST_CI_SECRET_KEY: KEY, FAST_CI_SERVER: server.url, FAST_CI_BUILD_ID: buildId, BLOCK_MS: '11000' },
  });
  const run = await server.waitForRun(buildId);
  expect(run.summary).toMatchObject({ files: 4, failed: 1, passed: 3 });
  // One file at a time on each node, as in band means.
  expect(run.nodes.map(n => n.workers)).toEqual([1, 1]);
  for (const node of nodes) {
    expect(node).toExitWith(1);
    expect(node.output).not.toContain('cannot report the whole run');
    expect(node.output).toMatch(/Test Suites: 1 failed, 3 passed, 4 total/);
  }
}, 120_000);
