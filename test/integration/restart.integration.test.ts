/**
 * The server restarted mid-run: its journal (data dir) restores the run, the
 * nodes reconnect and rejoin, and no file that was reported runs again.
 */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startServer, type OrchestratorServer } from '../../src/server';
import { fixture, startJestNode, until } from '../helpers/jestNodes';

const KEY = 'restart-secret-0b7e';
let dataDir: string;
const servers: OrchestratorServer[] = [];

beforeEach(() => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'jest-fast-ci-restart-'));
});

afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

async function serve(port: number): Promise<OrchestratorServer> {
  const s = await startServer({ host: '127.0.0.1', port, secretKeys: [KEY], dataDir, reconnectGraceMs: 20_000 });
  servers.push(s);
  return s;
}

it('resumes the run after a restart without running reported files again', async () => {
  const first = await serve(0);
  const buildId = randomUUID();
  const env = (id: string) => ({ FAST_CI_SECRET_KEY: KEY, FAST_CI_SERVER: first.url, FAST_CI_BUILD_ID: buildId, FAST_CI_NODE_ID: id });
  const nodes = ['node-a', 'node-b'].map(id => startJestNode({ cwd: fixture('slow'), env: env(id), args: ['--maxWorkers=2'] }));

  // Restart once some files have results and others are still out.
  const reportedBefore = await until(() => {
    const run = first.run(buildId);
    const done = run ? Object.keys(run.results) : [];
    return done.length >= 2 && done.length < 8 ? done : undefined;
  }, 'a run part-way through');
  await first.close(1012);
  const second = await serve(first.port);

  const outcomes = await Promise.all(nodes.map(n => n.done));
  expect(outcomes.map(o => o.code)).toEqual([0, 0]);
  const run = await second.waitForRun(buildId);
  expect(Object.keys(run.results)).toHaveLength(8);
  for (const id of reportedBefore) expect(run.results[id]).toBeDefined();

  // Every file ran exactly once across the restart.
  const passed = outcomes.flatMap(o => [...o.output.matchAll(/PASS (test\/\S+)/g)].map(m => m[1])).sort();
  expect(passed).toEqual(Object.keys(run.results).sort());
});

it('recovers without a data dir too: node 0 of the fresh run enqueues again and every file runs', async () => {
  const first = await startServer({ host: '127.0.0.1', port: 0, secretKeys: [KEY], reconnectGraceMs: 20_000 });
  servers.push(first);
  const buildId = randomUUID();
  const env = (id: string) => ({ FAST_CI_SECRET_KEY: KEY, FAST_CI_SERVER: first.url, FAST_CI_BUILD_ID: buildId, FAST_CI_NODE_ID: id });
  const nodes = ['node-a', 'node-b'].map(id => startJestNode({ cwd: fixture('slow'), env: env(id), args: ['--maxWorkers=2'] }));
  await until(() => {
    const done = Object.keys(first.run(buildId)?.results ?? {}).length;
    return done >= 2 && done < 8 ? true : undefined;
  }, 'a run part-way through');
  await first.close(1012);
  // Same port, no journal: the run is gone from the server's memory.
  const second = await startServer({ host: '127.0.0.1', port: first.port, secretKeys: [KEY] });
  servers.push(second);

  const outcomes = await Promise.all(nodes.map(n => n.done));
  expect(outcomes.map(o => o.code)).toEqual([0, 0]);
  const run = await second.waitForRun(buildId);
  // At least once: the fresh run has every file, some of them run a second time.
  expect(Object.keys(run.results)).toHaveLength(8);
});
