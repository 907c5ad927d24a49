/**
 * One node's protocol loop (NodeSession) with the real client and the real
 * server, through a frame proxy where a test needs a fault at a chosen
 * frame. Files are run by a scripted executor (test/helpers/executors.ts);
 * full runs with real Jest are in test/integration.
 */
import { randomUUID } from 'node:crypto';
import * as path from 'node:path';
import type { Test } from '@jest/test-result';
import { OrchestratorClient } from '../../src/client';
import { resolveConfig } from '../../src/config';
import { ErrorCodes } from '../../src/errors';
import { RunnerEmitter } from '../../src/runner/RunnerEmitter';
import { FileQueue } from '../../src/runner/FileQueue';
import { NodeSession } from '../../src/runner/NodeSession';
import { TestIds } from '../../src/runner/TestIds';
import { eventOf, startFrameProxy, type FrameProxy } from '../helpers/frameProxy';
import { ScriptedExecutor } from '../helpers/executors';
import { cleanup, KEY, startTestServer, until } from '../server/helpers';

const ROOT = path.resolve('/project');
const FILES = ['test/a.test.js', 'test/b.test.js', 'test/c.test.js', 'test/d.test.js'];

let proxy: FrameProxy | undefined;
const clients: OrchestratorClient[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) await client.close();
  await proxy?.close();
  proxy = undefined;
  await cleanup();
});

function tests(): Test[] {
  const context = { config: { id: 'project', rootDir: ROOT } } as Test['context'];
  return FILES.map(file => ({ path: path.join(ROOT, file), duration: undefined, context }));
}

interface Node {
  readonly session: NodeSession;
  readonly executor: ScriptedExecutor;
  /** Files handed to Jest's reporters, with whether their result had a failure. */
  readonly reported: Array<{ file: string; failed: boolean }>;
  readonly buildId: string;
}

interface NodeOptions {
  fails?: (file: string) => boolean;
  /** Files finish only once this resolves. */
  gate?: Promise<unknown>;
  retry?: number;
  buildId?: string;
  workers?: number;
}

function node(server: string, options: NodeOptions = {}): Node {
  const buildId = options.buildId ?? randomUUID();
  const config = resolveConfig({
    env: {
      FAST_CI_SECRET_KEY: KEY,
      FAST_CI_SERVER: server,
      FAST_CI_BUILD_ID: buildId,
      FAST_CI_RETRY: String(options.retry ?? 0),
      FAST_CI_RECONNECT_TIMEOUT: '10',
    },
    readGit: () => ({}),
  });
  const fails = options.fails ?? (() => false);
  const executor = new ScriptedExecutor(options.workers ?? 1, file => fails(path.relative(ROOT, file)), options.gate);
  const emitter = new RunnerEmitter();
  const reported: Node['reported'] = [];
  emitter.on('test-file-success', ([test, result]) => {
    reported.push({ file: path.relative(ROOT, test.path), failed: result.testResults.some(t => t.status === 'failed') });
  });
  const queue = new FileQueue(executor, emitter, { deferFailures: config.retry > 0, write: () => undefined });
  const client = new OrchestratorClient(config, { workers: executor.concurrency, reconnectAfterMs: () => 50 });
  clients.push(client);
  const session = new NodeSession(client, queue, new TestIds(tests(), ROOT), ROOT);
  return { session, executor, reported, buildId };
}

it('node 0 enqueues every file, runs what it is handed, and returns the whole run summary', async () => {
  const server = await startTestServer();
  const n = node(server.url);
  const result = await n.session.run();
  expect(result).toMatchObject({ nodeIndex: 0, enqueued: 4, summary: { files: 4, passed: 4, failed: 0, nodes: 1 } });
  expect(n.executor.started.map(p => path.relative(ROOT, p)).sort()).toEqual(FILES);
  expect(n.reported.map(r => r.file).sort()).toEqual(FILES);
  expect(Object.keys(server.run(n.buildId)!.results).sort()).toEqual(FILES);
});

it('node 0 is pushed a deq_request for its own enq while its first deq is on the way, and asks for no second batch', async () => {
  const server = await startTestServer();
  proxy = await startFrameProxy(server.url);
  // One worker: every deq after the first carries a result, so an extra one for the push would be a second empty deq.
  const n = node(proxy.url, { workers: 1 });
  const result = await n.session.run();
  expect(result).toMatchObject({ nodeIndex: 0, summary: { files: 4, passed: 4 } });

  const down = proxy.frames.filter(f => f.direction === 'down').map(eventOf);
  // The server tells every node that joined as waiting to come (issue 16), the enqueuer too, before answering its deq.
  expect(down.filter(e => e === 'deq_request')).toHaveLength(1);
  expect(down.indexOf('deq_request')).toBeLessThan(down.indexOf('deq'));
  const deqs = server.run(n.buildId)!.frames!.filter(f => f.message.event === 'deq').map(f => Object.keys(f.message.payload as object));
  expect(deqs.filter(ids => ids.length === 0)).toHaveLength(1);
  // Each file was handed out once and run once.
  const handed = proxy.frames.filter(f => f.direction === 'down' && eventOf(f) === 'deq').flatMap(f => f.message.payload.response.tests as string[]);
  expect(handed.sort()).toEqual(FILES);
  expect(n.executor.started.map(p => path.relative(ROOT, p)).sort()).toEqual(FILES);
  expect(server.run(n.buildId)!.warnings).toEqual([]);
});

it('the client running leased files it never received: a deq reply lost with the connection', async () => {
  const server = await startTestServer({ reconnectGraceMs: 10_000 });
  proxy = await startFrameProxy(server.url);
  const lost: string[] = [];
  proxy.onFrame(frame => {
    // The first batch leaves the server, then the connection goes: the node never sees it.
    if (lost.length === 0 && frame.direction === 'down' && eventOf(frame) === 'deq' && frame.message.payload.response.tests.length > 0) {
      lost.push(...frame.message.payload.response.tests);
      return 'cut';
    }
    return 'forward';
  });
  const n = node(proxy.url, { workers: 2 });
  const result = await n.session.run();

  expect(lost.length).toBeGreaterThan(0);
  expect(proxy.accepted).toBe(2);
  // The rejoin reply listed the lost batch as this node's leases, and the node ran it.
  const rejoin = proxy.frames.find(f => f.connection === 1 && f.direction === 'down' && eventOf(f) === 'join')!;
  expect(rejoin.message.payload.response.leases.sort()).toEqual([...lost].sort());
  // Every file ran once, the lost ones included, and the run finished.
  expect(n.executor.started.map(p => path.relative(ROOT, p)).sort()).toEqual(FILES);
  expect(result.summary).toMatchObject({ files: 4, passed: 4 });
});

it('failures held back for a retry still reach Jest on a fatal error', async () => {
  const server = await startTestServer();
  proxy = await startFrameProxy(server.url);
  // The reply to the deq that carries the failure is an error: the server's word on it never comes.
  proxy.onFrame(frame => {
    if (frame.direction === 'down' && eventOf(frame) === 'deq' && proxy!.frames.some(f => f.direction === 'up' && f.message?.event === 'deq' && f.message.payload['test/a.test.js'])) {
      return { replace: JSON.stringify({ ...frame.message, payload: { status: 'error', response: { reason: 'the orchestrator broke' } } }) };
    }
    return 'forward';
  });
  const n = node(proxy.url, { fails: file => file === 'test/a.test.js', retry: 2 });
  const error = await n.session.run().catch(e => e);
  expect(error.code).toBe(ErrorCodes.SERVER);
  expect(error.message).toBe('The orchestrator rejected deq: the orchestrator broke.');
  // Held back for a retry that will not happen: Jest sees the failure, so this node fails for it.
  expect(n.reported).toContainEqual({ file: 'test/a.test.js', failed: true });
});

it("a failure retried on another node does not reach this node's Jest", async () => {
  const server = await startTestServer();
  const buildId = randomUUID();
  // test/a.test.js fails the first time it runs, on whichever node that is.
  let ranA = false;
  const failsOnce = (file: string): boolean => file === 'test/a.test.js' && !ranA && (ranA = true);
  // No file finishes before both nodes have joined: "another node" is always there.
  const bothJoined = until(() => server.run(buildId)?.nodes.length === 2, 'both nodes to join');
  const nodes = [0, 1].map(() => node(server.url, { fails: failsOnce, retry: 1, buildId, gate: bothJoined }));
  const results = await Promise.all(nodes.map(n => n.session.run()));
  const run = server.run(buildId)!;
  const [failedOn] = run.retries['test/a.test.js']!;
  expect(run.results['test/a.test.js']).toMatchObject({ nodeIndex: 1 - failedOn!, entry: { file_status: 'passed' } });
  for (const result of results) expect(result.summary).toMatchObject({ files: 4, passed: 4, failed: 0, flaky: ['test/a.test.js'] });
  // The node that saw the failure ran the file, but its Jest never got the failure.
  const saw = nodes[results.findIndex(r => r.nodeIndex === failedOn)]!;
  expect(saw.executor.started).toContain(path.join(ROOT, 'test/a.test.js'));
  expect(saw.reported.map(r => r.file)).not.toContain('test/a.test.js');
  expect(nodes.flatMap(n => n.reported).filter(r => r.failed)).toEqual([]);
});
