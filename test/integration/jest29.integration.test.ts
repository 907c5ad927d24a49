/**
 * A representative slice of the integration suite on Jest 29.7 (the
 * project's own dev install is Jest 30): the runner must drive whichever
 * Jest the project runs.
 */
import { randomUUID } from 'node:crypto';
import * as path from 'node:path';
import { startServer, type OrchestratorServer } from '../../src/server';
import { REPO, fixture, runJestNode, runJestNodes } from '../helpers/jestNodes';

const JEST29 = path.join(REPO, 'test/compat/jest29/node_modules/jest/bin/jest.js');
const KEY = 'jest29-secret';

let server: OrchestratorServer;

beforeAll(async () => {
  expect(require(path.join(REPO, 'test/compat/jest29/node_modules/jest/package.json')).version).toBe('29.7.0');
  server = await startServer({ host: '127.0.0.1', port: 0, secretKeys: [KEY] });
});

afterAll(async () => {
  await server.close();
});

describe('on Jest 29.7', () => {
  it('runs two nodes through the orchestrator, each file once, with the right exit codes', async () => {
    const buildId = randomUUID();
    const env = { FAST_CI_SECRET_KEY: KEY, FAST_CI_SERVER: server.url, FAST_CI_BUILD_ID: buildId };
    const nodes = await runJestNodes(2, { cwd: fixture('failing'), env, jestBin: JEST29 });
    const run = server.run(buildId)!;
    expect(run.state).toBe('finished');
    expect(run.summary).toMatchObject({ files: 6, passed: 4, failed: 2, nodes: 2 });
    for (const node of nodes) {
      expect(node.output).toMatch(/jest-fast-ci ▸ node \d · build/);
      // Each node reports the whole run (FAST_CI_REPORT=run, the default) and exits as plain Jest would for it:
      // 1, whichever node the failing files ran on.
      expect(node.output).toMatch(/Test Suites: 2 failed, 4 passed, 6 total/);
      expect(node).toExitWith(1);
    }
  });

  it('runs in band and without a key like plain Jest 29', async () => {
    const buildId = randomUUID();
    const inBand = await runJestNode({
      cwd: fixture('basic'),
      env: { FAST_CI_SECRET_KEY: KEY, FAST_CI_SERVER: server.url, FAST_CI_BUILD_ID: buildId },
      args: ['--runInBand'],
      jestBin: JEST29,
    });
    expect(inBand).toExitWith(0);
    expect(Object.keys(server.run(buildId)!.results)).toHaveLength(12);

    const local = await runJestNode({ cwd: fixture('basic'), jestBin: JEST29 });
    expect(local).toExitWith(0);
    expect(local.output).toContain('FAST_CI_SECRET_KEY is not set');
    expect(local.output).toMatch(/Test Suites: 12 passed, 12 total/);
  });
});
