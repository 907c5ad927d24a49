/**
 * Automatic quarantine end to end, on Redis: a server with
 * `autoQuarantine: 2`, real jest nodes on the flaky fixture with retries on.
 * Two runs in which the test fails on one node and passes on its retry on
 * the other make it enter quarantine by itself; in the third run it fails
 * every time, and the build is green, every node naming it.
 */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startServer, type OrchestratorServer } from '../../src/server';
import { Gates } from '../helpers/gates';
import { fixture, startJestNode, until, type NodeOutcome } from '../helpers/jestNodes';
import { startRedisServer, type RedisServer } from '../helpers/redisServer';

const KEY = 'auto-quarantine-secret-3e7a';
let redis: RedisServer;
let server: OrchestratorServer;
let markers: string;

beforeAll(async () => {
  redis = await startRedisServer();
  server = await startServer({ host: '127.0.0.1', port: 0, secretKeys: [KEY], redis: redis.url, autoQuarantine: 2, warn: () => undefined });
  markers = fs.mkdtempSync(path.join(os.tmpdir(), 'jest-fast-ci-auto-quarantine-'));
}, 30_000);

afterAll(async () => {
  await server?.close();
  await redis?.dispose();
  fs.rmSync(markers, { recursive: true, force: true });
});

/** Two nodes on the flaky fixture; its flaky file runs once both have joined. */
async function run(extra: Record<string, string> = {}): Promise<NodeOutcome[]> {
  const buildId = randomUUID();
  const gates = new Gates();
  try {
    const env = { FAST_CI_SECRET_KEY: KEY, FAST_CI_SERVER: server.url, FAST_CI_BUILD_ID: buildId, FAST_CI_RETRY: '1', FLAKY_MARKER: path.join(markers, buildId), ...gates.env, ...extra };
    const nodes = [0, 1].map(() => startJestNode({ cwd: fixture('flaky'), env }));
    await until(() => (server.run(buildId)?.nodes.length === 2 ? true : undefined), 'both nodes to join');
    gates.openAll();
    return await Promise.all(nodes.map(n => n.done));
  } finally {
    gates.remove();
  }
}

async function quarantined(): Promise<Array<{ file: string; name: string; by: string }>> {
  const res = await fetch(`${server.dashboardUrl}api/quarantine/jest`, { headers: { authorization: `Bearer ${KEY}` }, signal: AbortSignal.timeout(5_000) });
  return ((await res.json()) as { tests: Array<{ file: string; name: string; by: string }> }).tests;
}

it('quarantines a test after two flakes by itself, and its next failure leaves the build green, every node naming it', async () => {
  for (let i = 0; i < 2; i += 1) {
    for (const node of await run()) expect(node).toExitWith(0);
  }
  let tests: Array<{ file: string; name: string; by: string }> = [];
  for (const deadline = Date.now() + 10_000; tests.length === 0; ) {
    if (Date.now() > deadline) throw new Error('the flaky test never entered quarantine');
    tests = await quarantined();
    if (tests.length === 0) await new Promise(resolve => setTimeout(resolve, 50));
  }
  expect(tests).toEqual([expect.objectContaining({ file: 'test/flaky.test.js', name: 'works on the second try', by: 'auto' })]);

  // Now it fails on both attempts: without the quarantine, the build would be red.
  for (const node of await run({ FLAKY_ALWAYS: '1' })) {
    expect(node).toExitWith(0);
    expect(node.output).toContain('jest-fast-ci ▸ 1 quarantined test failed and did not fail the run');
    expect(node.output).toMatch(/● test\/flaky\.test\.js › works on the second try \(node \d\): flaky failure on purpose/);
  }
});
