/**
 * Servers sharing one Redis (RedisStore), with real jest nodes: any server
 * takes any node of any run, a server killed mid-run loses nothing, and so
 * does Redis itself, restarted from its append-only file. The faults come
 * while nodes hold gated files, so they cannot race with the files' results.
 */
import { randomUUID } from 'node:crypto';
import * as path from 'node:path';
import { startServer, type OrchestratorServer } from '../../src/server';
import { Gates, letThrough, startGatedNodes } from '../helpers/gates';
import { filesRun, REPO, until } from '../helpers/jestNodes';
import { startChild, type TrackedChild } from '../helpers/processes';
import { startRedisServer, type RedisServer } from '../helpers/redisServer';
import { startRoundRobinProxy, type RoundRobinProxy } from '../helpers/roundRobinProxy';

const KEY = 'redis-secret-5c21';
const GATED = Array.from({ length: 8 }, (_, i) => `test/gated${i + 1}.test.js`);
let redis: RedisServer | undefined;
let gates: Gates;
let proxy: RoundRobinProxy | undefined;
const servers: OrchestratorServer[] = [];

beforeEach(() => {
  gates = new Gates();
});

afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
  await proxy?.close();
  await redis?.dispose();
  gates.remove();
  proxy = undefined;
  redis = undefined;
});

async function serve(url: string): Promise<OrchestratorServer> {
  const s = await startServer({ host: '127.0.0.1', port: 0, secretKeys: [KEY], redis: url, reconnectGraceMs: 20_000 });
  servers.push(s);
  return s;
}

/** A server in a process of its own (`jest-fast-ci serve --redis`), to kill; resolves with it and its port. */
async function serveProcess(url: string): Promise<{ child: TrackedChild; port: number }> {
  const child = startChild(process.execPath, [path.join(REPO, 'dist/cli.js'), 'serve', '--port', '0', '--redis', url, '--reconnect-grace', '20'], {
    cwd: REPO,
    env: { ...process.env, FAST_CI_SECRET_KEY: KEY },
  });
  const line = await until(() => /FAST_CI_SERVER=ws:\/\/127\.0\.0\.1:(\d+)/.exec(child.output())?.[1], 'the server process to listen');
  return { child, port: Number(line) };
}

it('runs one run across two servers behind a balancer without sticky sessions, and finishes it when one is killed mid-run', async () => {
  redis = await startRedisServer();
  const doomed = await serveProcess(redis.url);
  const survivor = await serve(redis.url);
  proxy = await startRoundRobinProxy([doomed.port, survivor.port]);
  const buildId = randomUUID();
  const nodes = startGatedNodes(gates, proxy.url, KEY, buildId);
  // Both servers hold a node of the run, and both nodes are running gated files.
  await until(() => (proxy!.accepted.get(doomed.port)! > 0 && proxy!.accepted.get(survivor.port)! > 0 ? true : undefined), 'a connection on each server');
  await gates.startedBy('node-a');
  await gates.startedBy('node-b');

  doomed.child.signal('SIGKILL');
  await doomed.child.done;
  gates.openAll();

  const outcomes = await Promise.all(nodes.map(n => n.done));
  for (const outcome of outcomes) expect(outcome).toExitWith(0);
  const run = await survivor.waitForRun(buildId);
  expect(Object.keys(run.results).sort()).toEqual(GATED);
  expect(run.summary).toMatchObject({ files: 8, passed: 8, failed: 0 });
  // Every file ran exactly once, though the server that handed some of them out is gone.
  expect(outcomes.flatMap(o => filesRun(o.output)).sort()).toEqual(GATED);
});

it('resumes a run after Redis restarts from its append-only file, without running reported files again', async () => {
  redis = await startRedisServer({ appendOnly: true });
  const server = await serve(redis.url);
  const buildId = randomUUID();
  const nodes = startGatedNodes(gates, server.url, KEY, buildId);
  const reportedBefore = await letThrough(gates, server, buildId, 2);

  await redis.kill();
  await redis.restart();
  gates.openAll();

  const outcomes = await Promise.all(nodes.map(n => n.done));
  for (const outcome of outcomes) expect(outcome).toExitWith(0);
  const run = await server.waitForRun(buildId);
  expect(Object.keys(run.results).sort()).toEqual(GATED);
  for (const id of reportedBefore) expect(run.results[id]).toBeDefined();
  expect(outcomes.flatMap(o => filesRun(o.output)).sort()).toEqual(GATED);
});

it('refuses to start, naming the URL without its password, when Redis does not answer', async () => {
  redis = await startRedisServer();
  const url = `redis://user:hunter2@127.0.0.1:${redis.port}`;
  await redis.kill();
  await expect(startServer({ secretKeys: [KEY], port: 0, redis: url })).rejects.toThrow(/cannot reach Redis at redis:\/\/user:\*\*\*@127\.0\.0\.1:\d+/);
});
