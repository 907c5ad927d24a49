/**
 * The whole-run report endpoints (extension): the key in a header, records
 * stored as bytes up to a limit, the run's other records streamed back,
 * waiting for one still on its way, and an entry for a file never reported.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { COVERAGE_ID, encodeRecord } from '../../src/protocol/reports';
import type { OrchestratorServer } from '../../src/server';
import { cleanup, KEY, Node, passed, pendingTests, startTestServer } from './helpers';

afterEach(cleanup);

function http(server: OrchestratorServer, method: 'GET' | 'POST', query: string, body?: string, key: string | null = KEY, buildId = 'build-1'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: server.port, method, path: `/test_orchestrators/reports/jest/${buildId}?${query}`, headers: key === null ? {} : { authorization: `Bearer ${key}` }, agent: false },
      res => {
        let text = '';
        res.on('data', chunk => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const record = (id: string, size = 10): string => encodeRecord({ id, node: 0, root: '/r', kind: 'result' }, { pad: 'x'.repeat(size) });
const coverageRecord = (hits: number): string => encodeRecord({ id: COVERAGE_ID, node: 0, root: '/r', kind: 'coverage' }, { babel: { hits: 'x'.repeat(hits) } });

/** Two nodes ran a two-file run to the end: a ran file-0, b ran file-1. */
async function finishedRun(options: Parameters<typeof startTestServer>[0] = {}) {
  const server = await startTestServer(options);
  const a = (await Node.join(server, { nodeId: 'a', workers: 1 })).node;
  const b = (await Node.join(server, { nodeId: 'b', workers: 1 })).node;
  await a.enq(pendingTests(2));
  const [fileA] = (await a.deq()).response.tests;
  const [fileB] = (await b.deq()).response.tests;
  const held = a.deq({ [fileA]: passed() });
  await b.deq({ [fileB]: passed() });
  await held;
  return { server, fileA: fileA as string, fileB: fileB as string };
}

it('refuses a request without the key in an Authorization header (401) or with a wrong one (403)', async () => {
  const server = await startTestServer();
  expect(await http(server, 'GET', '', undefined, null)).toEqual({ status: 401, body: '{"error":"send the secret key as \\"Authorization: Bearer <key>\\""}' });
  expect((await http(server, 'GET', '', undefined, 'nope')).status).toBe(403);
  expect(await http(server, 'GET', '')).toEqual({ status: 404, body: '{"error":"no run jest-build-1 for this key"}' });
});

it("streams back the other node's records, and the orchestrator's entry for a file whose node sent none", async () => {
  const { server, fileA, fileB } = await finishedRun();
  expect(await http(server, 'POST', 'node_id=a', record(fileA))).toEqual({ status: 200, body: '{"stored":1}' });
  // b asks: it gets a's record.
  const forB = await http(server, 'GET', 'node_id=b&wait=0');
  expect(forB.status).toBe(200);
  expect(forB.body).toBe(`${JSON.stringify({ id: fileA, node: 0, root: '/r', kind: 'result' })}\n{"pad":"xxxxxxxxxx"}\n`);
  // a asks, and b never uploaded: the server's entry for b's file, after the wait.
  const forA = await http(server, 'GET', 'node_id=a&wait=0');
  const [header, body] = forA.body.trimEnd().split('\n');
  expect(JSON.parse(header!)).toEqual({ id: fileB, node: 1, root: '', kind: 'entry' });
  expect(JSON.parse(body!)).toEqual(passed());
});

it("waits for a record still on its way when the run ends, then for the node's coverage, sent once after its results", async () => {
  const { server, fileA } = await finishedRun();
  const waiting = http(server, 'GET', 'node_id=b&wait=30');
  await new Promise(resolve => setTimeout(resolve, 100));
  await http(server, 'POST', 'node_id=a', record(fileA));
  await new Promise(resolve => setTimeout(resolve, 100));
  await http(server, 'POST', 'node_id=a', coverageRecord(2));
  const lines = (await waiting).body.trimEnd().split('\n');
  expect(lines.map(line => JSON.parse(line) as unknown)).toEqual([
    { id: fileA, node: 0, root: '/r', kind: 'result' },
    { pad: 'xxxxxxxxxx' },
    { id: COVERAGE_ID, node: 0, root: '/r', kind: 'coverage' },
    { babel: { hits: 'xx' } },
  ]);
});

it('stops waiting for the coverage of a node that left without sending it', async () => {
  const server = await startTestServer();
  const a = (await Node.join(server, { nodeId: 'a', workers: 1 })).node;
  const b = (await Node.join(server, { nodeId: 'b', workers: 1 })).node;
  await a.enq(pendingTests(1));
  const [fileA] = (await a.deq()).response.tests;
  await a.deq({ [fileA]: passed() });
  await http(server, 'POST', 'node_id=a', record(fileA as string));
  const waiting = http(server, 'GET', 'node_id=b&wait=30');
  await new Promise(resolve => setTimeout(resolve, 300));
  await a.push('leave', {});
  expect((await waiting).body.trimEnd().split('\n')).toHaveLength(2);
  await b.close();
});

it('refuses records past maxReportBytesPerRun (413), naming the limit', async () => {
  const { server, fileA, fileB } = await finishedRun({ maxReportBytesPerRun: 1_000 });
  expect(await http(server, 'POST', 'node_id=a', record(fileA, 600))).toEqual({ status: 200, body: '{"stored":1}' });
  const refused = await http(server, 'POST', 'node_id=b', record(fileB, 600));
  expect(refused.status).toBe(413);
  expect(JSON.parse(refused.body)).toEqual({ error: "this run's reports would pass the server's limit of 1000 bytes a run (maxReportBytesPerRun, --max-report-bytes-per-run)", stored: 0 });
});

it('refuses records past maxReportBytesPerNode (413), naming the limit, while other nodes still send theirs', async () => {
  const { server, fileA, fileB } = await finishedRun({ maxReportBytesPerNode: 1_000 });
  expect(await http(server, 'POST', 'node_id=a', record(fileA, 600))).toEqual({ status: 200, body: '{"stored":1}' });
  const refused = await http(server, 'POST', 'node_id=a', coverageRecord(700));
  expect(refused.status).toBe(413);
  expect(JSON.parse(refused.body)).toEqual({ error: "this node's reports would pass the server's limit of 1000 bytes a node (maxReportBytesPerNode, --max-report-bytes-per-node)", stored: 0 });
  expect(await http(server, 'POST', 'node_id=b', record(fileB, 600))).toEqual({ status: 200, body: '{"stored":1}' });
});

it('keeps a record sent twice once, its bytes counted once (an upload retried after a lost answer)', async () => {
  const { server, fileA, fileB } = await finishedRun({ maxReportBytesPerRun: 1_000 });
  for (let i = 0; i < 3; i += 1) expect(await http(server, 'POST', 'node_id=a', record(fileA, 600))).toEqual({ status: 200, body: '{"stored":1}' });
  expect(await http(server, 'POST', 'node_id=b', record(fileB, 200))).toEqual({ status: 200, body: '{"stored":1}' });
});

it('refuses a record of an id the run never handed out, and a path that is not valid percent-encoding', async () => {
  const { server, fileA } = await finishedRun();
  expect(await http(server, 'POST', 'node_id=a', record(fileA))).toEqual({ status: 200, body: '{"stored":1}' });
  const made = await http(server, 'POST', 'node_id=a', record('test/made-up.test.ts'));
  expect(made.status).toBe(400);
  expect(JSON.parse(made.body)).toEqual({ error: '"test/made-up.test.ts" is not a test of this run', stored: 0 });
  expect((await http(server, 'GET', 'node_id=a&wait=0', undefined, KEY, '%E0%A4%A')).status).toBe(400);
});

it('keeps records in the data dir and finds them again after a restart', async () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'fast-ci-reports-'));
  try {
    const { server, fileA } = await finishedRun({ dataDir });
    await http(server, 'POST', 'node_id=a', record(fileA));
    await server.close();
    const again = await startTestServer({ dataDir });
    const forB = await http(again, 'GET', 'node_id=b&wait=0');
    expect(forB.body.split('\n').slice(0, 2)).toEqual([JSON.stringify({ id: fileA, node: 0, root: '/r', kind: 'result' }), '{"pad":"xxxxxxxxxx"}']);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

it("serves a retry run's kept files from the earlier build's run, which holds their records", async () => {
  const { server, fileA, fileB } = await finishedRun();
  await http(server, 'POST', 'node_id=a', record(fileA));
  await http(server, 'POST', 'node_id=b', record(fileB));
  // GitHub's attempt 2 of build-1: nothing failed, so it is complete at once, and its node 0 fetches the whole build.
  const { reply } = await Node.join(server, { buildId: 'build-1-2', nodeId: 'r', retryRun: { mode: 'failed', earlier: ['build-1'], attempt: 2 } });
  expect(reply.response).toMatchObject({ node_index: 0, finished: true, retry_run: { status: 'retry', rerun: 0, kept: 2 } });
  const got = await http(server, 'GET', 'node_id=r&wait=0', undefined, KEY, 'build-1-2');
  const headers = got.body.trimEnd().split('\n').filter((_, i) => i % 2 === 0).map(line => JSON.parse(line) as { id: string; kind: string });
  expect(headers.map(h => [h.id, h.kind]).sort()).toEqual([[fileA, 'result'], [fileB, 'result']].sort());
});
