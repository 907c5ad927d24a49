/**
 * The end of a run does not wait for a node that is gone or slow: once the
 * queue is empty, an idle node runs copies of its files (backup copies),
 * and the first result counts. Real jest nodes on the gated fixture; each
 * node's Jest cache is fresh, so no file has an expected duration and the
 * straggler rule is plain: a file running past the slack.
 */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startServer, type OrchestratorServer, type ServerOptions } from '../../src/server';
import { Gates, startGatedNodes } from '../helpers/gates';
import { filesRun, until } from '../helpers/jestNodes';

const KEY = 'tails-secret-9d40';
const GATED = Array.from({ length: 8 }, (_, i) => `test/gated${i + 1}.test.js`);
let gates: Gates;
let cacheDir: string;
const servers: OrchestratorServer[] = [];

beforeEach(() => {
  gates = new Gates();
  cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'jest-fast-ci-tails-cache-'));
});

afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
  gates.remove();
  fs.rmSync(cacheDir, { recursive: true, force: true });
});

async function serve(options: Partial<ServerOptions>): Promise<OrchestratorServer> {
  const s = await startServer({ host: '127.0.0.1', port: 0, secretKeys: [KEY], ...options });
  servers.push(s);
  return s;
}

it('finishes the run on the other node when one is SIGKILLed mid-file, without waiting out its reconnect grace', async () => {
  // A grace far longer than the run: if the run waited for it, node-a would be lost before the end.
  const server = await serve({ reconnectGraceMs: 60_000, handoffAfterMs: 1_000 });
  const buildId = randomUUID();
  const [a, b] = startGatedNodes(gates, server.url, KEY, buildId, { args: [`--cacheDirectory=${cacheDir}`] });
  const inFlight = await gates.startedBy('node-a');
  await gates.startedBy('node-b');
  a!.signal('SIGKILL');
  await a!.done;
  gates.openAll();

  expect(await b!.done).toExitWith(0);
  const run = await server.waitForRun(buildId);
  expect(Object.keys(run.results).sort()).toEqual(GATED);
  expect(run.summary).toMatchObject({ files: 8, passed: 8, failed: 0 });
  const nodeA = run.nodes.find(n => n.nodeId === 'node-a')!;
  const nodeB = run.nodes.find(n => n.nodeId === 'node-b')!;
  // The run ended while node-a was still within its grace: its files were run by node-b as copies.
  expect(nodeA).toMatchObject({ connected: false, lost: false, left: false });
  for (const name of inFlight) expect(run.results[`test/${name}.test.js`]!.nodeIndex).toBe(nodeB.index);
  expect(filesRun((await b!.done).output)).toEqual(expect.arrayContaining(inFlight.map(name => `test/${name}.test.js`)));
});

it("hands a killed node's files, before queued ones, to the first worker freed on another node, while that node still runs its own", async () => {
  const server = await serve({ reconnectGraceMs: 60_000, handoffAfterMs: 1_000 });
  const buildId = randomUUID();
  const [a, b] = startGatedNodes(gates, server.url, KEY, buildId, { args: [`--cacheDirectory=${cacheDir}`] });
  const inFlight = await gates.startedBy('node-a', 2);
  const own = await gates.startedBy('node-b', 2);
  a!.signal('SIGKILL');
  await a!.done;
  // Past the handoff: node-a's files are free to copy. Four files are still queued.
  await until(() => (server.run(buildId)?.nodes.find(n => n.nodeId === 'node-a')?.connected === false ? true : undefined), 'node-a to be gone');
  await new Promise(resolve => setTimeout(resolve, 1_500));
  expect(server.run(buildId)!.queued.length).toBe(4);
  // One of node-b's files ends; the other still runs. The worker it frees gets node-a's files first.
  gates.open(own[0]!);
  const next = await until(() => {
    const started = gates.started().filter(g => g.node === 'node-b' && !own.includes(g.name)).map(g => g.name);
    return started.length > 0 ? started : undefined;
  }, 'node-b to start another file');
  expect(inFlight).toContain(next[0]);
  // node-b was still running its other file: the copy did not wait for it to be idle.
  expect(server.run(buildId)!.results[`test/${own[1]}.test.js`]).toBeUndefined();
  gates.openAll();
  expect(await b!.done).toExitWith(0);
  const run = await server.waitForRun(buildId);
  expect(Object.keys(run.results).sort()).toEqual(GATED);
  const nodeB = run.nodes.find(n => n.nodeId === 'node-b')!;
  for (const name of inFlight) expect(run.results[`test/${name}.test.js`]!.nodeIndex).toBe(nodeB.index);
});

it("does not keep the other node's whole-run report waiting for a killed node's last record", async () => {
  // The killed node would be waited for until its grace (60 s) or the report timeout (300 s) ran out: past the harness's 70 s.
  const server = await serve({ reconnectGraceMs: 60_000, handoffAfterMs: 1_000 });
  const buildId = randomUUID();
  const [a, b] = startGatedNodes(gates, server.url, KEY, buildId, { args: [`--cacheDirectory=${cacheDir}`], env: { FAST_CI_REPORT: 'run', FAST_CI_REPORT_TIMEOUT: '300' } });
  const inFlight = await gates.startedBy('node-a');
  await gates.startedBy('node-b');
  // node-a reports one file of its own first, so the run has a result of it and waits for its coverage record.
  gates.open(inFlight[0]!);
  await until(() => (Object.values(server.run(buildId)?.results ?? {}).some(r => r.nodeIndex === server.run(buildId)!.nodes.find(n => n.nodeId === 'node-a')!.index) ? true : undefined), "a result of node-a's");
  a!.signal('SIGKILL');
  await a!.done;
  gates.openAll();
  const outcome = await b!.done;
  expect(outcome).toExitWith(0);
  expect(filesRun(outcome.output).sort()).toEqual(GATED);
});

it("runs a copy of a straggler on an idle node; the copy's result counts when it comes first, and the straggler drops its own at once", async () => {
  const server = await serve({ stragglerSlackMs: 1_000 });
  const buildId = randomUUID();
  for (const id of GATED.slice(1)) gates.open(path.basename(id, '.test.js'));
  const nodes = startGatedNodes(gates, server.url, KEY, buildId, { args: [`--cacheDirectory=${cacheDir}`] });
  // gated1 hangs on whichever node took it; the other node may run it.
  const holder = await until(() => gates.started().find(g => g.name === 'gated1')?.node, 'gated1 to start');
  const other = holder === 'node-a' ? 'node-b' : 'node-a';
  gates.openFor('gated1', other);

  const run = await server.waitForRun(buildId);
  const copyNode = run.nodes.find(n => n.nodeId === other)!;
  expect(run.results['test/gated1.test.js']!.nodeIndex).toBe(copyNode.index);
  expect(run.summary).toMatchObject({ files: 8, passed: 8, failed: 0 });
  // The holder is told to drop its gated1 (its gate never opens): it exits without waiting for it, and reports it nowhere.
  const outcomes = await Promise.all(nodes.map(n => n.done));
  for (const outcome of outcomes) expect(outcome).toExitWith(0);
  expect(outcomes.flatMap(o => filesRun(o.output)).filter(id => id === 'test/gated1.test.js')).toHaveLength(1);
  // What each node says it ran is what the run recorded from it.
  for (const node of run.nodes) {
    const outcome = outcomes[node.nodeId === 'node-a' ? 0 : 1]!;
    expect(filesRun(outcome.output)).toHaveLength(Object.values(run.results).filter(r => r.nodeIndex === node.index).length);
  }
  // The timeline shows the straggler's time on gated1 too, ended when it was dropped.
  const spans = (await (await fetch(`${server.dashboardUrl!}api/runs/jest/${buildId}`, { headers: { authorization: `Bearer ${KEY}` } })).json()) as { spans: Array<{ id: string; node: number; outcome: string }> };
  const holderNode = run.nodes.find(n => n.nodeId === holder)!;
  expect(spans.spans.filter(span => span.id === 'test/gated1.test.js').map(span => [span.node, span.outcome]).sort()).toEqual(
    [[copyNode.index, 'passed'], [holderNode.index, 'released']].sort(),
  );
});

it('keeps every file on one node at a time with FAST_CI_BACKUPS=off', async () => {
  const server = await serve({ stragglerSlackMs: 1_000, handoffAfterMs: 1_000 });
  const buildId = randomUUID();
  for (const id of GATED.slice(1)) gates.open(path.basename(id, '.test.js'));
  const nodes = startGatedNodes(gates, server.url, KEY, buildId, { args: [`--cacheDirectory=${cacheDir}`], env: { FAST_CI_BACKUPS: 'off' } });
  const holder = await until(() => gates.started().find(g => g.name === 'gated1')?.node, 'gated1 to start');
  // Every other file done, the other node idle, gated1 far past the slack: still no copy.
  await until(() => (Object.keys(server.run(buildId)?.results ?? {}).length === 7 ? true : undefined), 'the other 7 files');
  await until(() => (server.run(buildId)!.nodes.filter(n => n.waiting).length === 1 ? true : undefined), 'the idle node waiting');
  const waitingSince = Date.now();
  await until(() => (Date.now() - waitingSince > 2_500 ? true : undefined), 'past the straggler slack', 10_000);
  expect(gates.started().filter(g => g.name === 'gated1').map(g => g.node)).toEqual([holder]);
  gates.open('gated1');
  for (const outcome of await Promise.all(nodes.map(n => n.done))) expect(outcome).toExitWith(0);
});
