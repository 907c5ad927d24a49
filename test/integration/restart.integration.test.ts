/**
 * The server restarted mid-run: its journal (data dir) restores the run, the
 * nodes reconnect and rejoin, and no file that was reported runs again. The
 * restart comes when a chosen number of gated files have results and the
 * others are held at their gates.
 */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startServer, type OrchestratorServer, type ServerOptions } from '../../src/server';
import { Gates, letThrough, startGatedNodes } from '../helpers/gates';
import { filesRun } from '../helpers/jestNodes';

const KEY = 'restart-secret-0b7e';
let dataDir: string;
let gates: Gates;
const servers: OrchestratorServer[] = [];

beforeEach(() => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'jest-fast-ci-restart-'));
  gates = new Gates();
});

afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
  gates.remove();
});

async function serve(options: Partial<ServerOptions>): Promise<OrchestratorServer> {
  const s = await startServer({ host: '127.0.0.1', port: 0, secretKeys: [KEY], reconnectGraceMs: 20_000, ...options });
  servers.push(s);
  return s;
}

it('resumes the run after a restart without running reported files again', async () => {
  const first = await serve({ dataDir });
  const buildId = randomUUID();
  const nodes = startGatedNodes(gates, first.url, KEY, buildId);
  const reportedBefore = await letThrough(gates, first, buildId, 2);
  expect(Object.keys(first.run(buildId)!.results)).toHaveLength(2);
  await first.close(1012);
  const second = await serve({ dataDir, port: first.port });
  gates.openAll();

  const outcomes = await Promise.all(nodes.map(n => n.done));
  for (const outcome of outcomes) expect(outcome).toExitWith(0);
  const run = await second.waitForRun(buildId);
  expect(Object.keys(run.results)).toHaveLength(8);
  for (const id of reportedBefore) expect(run.results[id]).toBeDefined();
  // Every file ran exactly once across the restart.
  expect(outcomes.flatMap(o => filesRun(o.output)).sort()).toEqual(Object.keys(run.results).sort());
});

it('recovers without a data dir too: node 0 of the fresh run enqueues again and every file runs', async () => {
  const first = await serve({});
  const buildId = randomUUID();
  const nodes = startGatedNodes(gates, first.url, KEY, buildId);
  await letThrough(gates, first, buildId, 2);
  await first.close(1012);
  // Same port, no journal: the run is gone from the server's memory.
  const second = await serve({ port: first.port });
  gates.openAll();

  const outcomes = await Promise.all(nodes.map(n => n.done));
  for (const outcome of outcomes) expect(outcome).toExitWith(0);
  const run = await second.waitForRun(buildId);
  // At least once: the fresh run has every file, some of them run a second time.
  expect(Object.keys(run.results)).toHaveLength(8);
});
