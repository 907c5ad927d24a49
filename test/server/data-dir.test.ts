import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { cleanup, KEY, Node, passed, pendingTests, resultsFor, startTestServer } from './helpers';

let dataDir: string;
beforeEach(() => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'fast-ci-data-'));
});
afterEach(async () => {
  await cleanup();
  rmSync(dataDir, { recursive: true, force: true });
});

/** Runs a whole build on one node, reporting `seconds[id]` as each file's run time. */
async function runBuild(buildId: string, seconds: Record<string, number>) {
  const server = await startTestServer({ dataDir });
  const { node } = await Node.join(server, { buildId });
  await node.enq(pendingTests(Object.keys(seconds).length));
  const order: string[] = [];
  let reply = await node.deq();
  while (reply.response.tests.length > 0) {
    const ids: string[] = reply.response.tests;
    order.push(...ids);
    reply = await node.deq(Object.fromEntries(ids.map(id => [id, passed(seconds[id])])));
  }
  await node.close();
  await server.close();
  return order;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter(entry => entry.isFile())
    .map(entry => path.join(entry.parentPath, entry.name));
}

it('orders a later run by the durations of earlier ones, kept across restarts', async () => {
  const seconds = { 'file-0.test.ts': 1, 'file-1.test.ts': 5, 'file-2.test.ts': 3 };
  // Nothing known on the first run: ties by id.
  expect(await runBuild('first', seconds)).toEqual(['file-0.test.ts', 'file-1.test.ts', 'file-2.test.ts']);
  expect(await runBuild('second', seconds)).toEqual(['file-1.test.ts', 'file-2.test.ts', 'file-0.test.ts']);
  for (const file of filesUnder(dataDir)) expect(readFileSync(file, 'utf8')).not.toContain(KEY);
});

it('restores an unfinished run after a restart: the node rejoins by node_id and reported files are not handed out again', async () => {
  const first = await startTestServer({ dataDir });
  const before = (await Node.join(first, { nodeId: 'n0', buildId: 'resume' })).node;
  await before.enq(pendingTests(3));
  const [one] = (await before.deq()).response.tests;
  const [two] = (await before.deq(resultsFor([one]))).response.tests;
  await before.close();
  await first.close();

  // A torn last line (a crash mid-write) is never acknowledged, so it is dropped.
  const [journal] = readdirSync(path.join(dataDir, 'runs'));
  appendFileSync(path.join(dataDir, 'runs', journal), '{"t":"result","no');

  const second = await startTestServer({ dataDir });
  const restored = second.run('resume')!;
  expect(restored.state).toBe('running');
  expect(Object.keys(restored.results)).toEqual([one]);
  expect(restored.leased).toEqual({ [two]: 0 });
  expect(restored.nodes).toEqual([expect.objectContaining({ index: 0, nodeId: 'n0', connected: false })]);

  const after = await Node.join(second, { nodeId: 'n0', buildId: 'resume' });
  // It still holds `two` (leased before the restart, journaled) and is told so.
  expect(after.reply.response).toEqual({ event: 'join', node_index: 0, state: 'running', leases: [two], extensions: ['files', 'running', 'reports', 'backups', 'parts', 'retry_run', 'cancel', 'bail', 'warm', 'shard', 'run_url', 'quarantine'] });
  const [three] = (await after.node.deq(resultsFor([two]))).response.tests;
  expect([one, two]).not.toContain(three);
  const done = await after.node.deq(resultsFor([three]));
  expect(done.response.summary).toMatchObject({ files: 3, passed: 3 });
});

it('restores a finished run for inspection', async () => {
  await runBuild('done', { 'file-0.test.ts': 1 });
  const server = await startTestServer({ dataDir });
  expect(server.run('done')).toMatchObject({ state: 'finished', summary: { files: 1 } });
  expect((await server.waitForRun('done')).state).toBe('finished');
});

it('journals and file names never hold the key, nor its plain sha256: runs are named by a digest keyed with key-secret', async () => {
  await runBuild('hashed', { 'file-0.test.ts': 1 });
  const { createHash } = await import('node:crypto');
  const plain = createHash('sha256').update(KEY).digest('hex');
  for (const file of filesUnder(dataDir)) {
    expect(file).not.toContain(plain);
    const text = readFileSync(file, 'utf8');
    expect(text).not.toContain(KEY);
    expect(text).not.toContain(plain);
  }
  expect(statSync(path.join(dataDir, 'key-secret')).mode & 0o777).toBe(0o600);
  // The same secret on restart: the finished run is found again under its name.
  const again = await startTestServer({ dataDir });
  expect(again.run('hashed')?.state).toBe('finished');
});

it('keeps the duration history of at most 50 run keys per key, dropping the least recently used', async () => {
  const server = await startTestServer({ dataDir });
  for (let i = 0; i < 55; i += 1) {
    const { node } = await Node.join(server, { buildId: `b${i}`, runKey: `suite${i}` });
    await node.enq(pendingTests(1));
    const [id] = (await node.deq()).response.tests;
    await node.deq({ [id]: passed(1) });
    await node.close();
  }
  const histories = filesUnder(path.join(dataDir, 'history'));
  expect(histories).toHaveLength(50);
});

it("restores a retried job's attempt after a restart, and a retry run of another build without that build's journal", async () => {
  const failing = { file_status: 'failed' as const, test_count: 1, test_counters: { failed: 1, passed: 0, pending: 0 }, run_time: 0.1, '1': { status: 'failed' as const, run_time: 0.1 } };
  const first = await startTestServer({ dataDir });
  // Attempt 1 of two builds: "same" (a retried job keeps its id) and "gh" (GitHub's next attempt is "gh-2").
  for (const buildId of ['same', 'gh']) {
    const { node } = await Node.join(first, { buildId });
    await node.enq(pendingTests(3));
    let reply = await node.deq();
    while (reply.response.tests.length > 0) {
      const ids: string[] = reply.response.tests;
      reply = await node.deq(Object.fromEntries(ids.map(id => [id, id === 'file-1.test.ts' ? failing : passed()])));
    }
    expect(reply.response.summary).toMatchObject({ failed: 1 });
    await node.close();
  }
  const retried = await Node.join(first, { buildId: 'same', nodeId: 'r', retryRun: { mode: 'failed' } });
  expect(retried.reply.response.retry_run).toEqual({ status: 'retry', of: 'same', attempt: 2, rerun: 1, kept: 2, files: 3 });
  expect((await retried.node.deq()).response.tests).toEqual(['file-1.test.ts']);
  const github = await Node.join(first, { buildId: 'gh-2', nodeId: 'g', retryRun: { mode: 'failed', again: false, earlier: ['gh'], attempt: 2 } });
  expect(github.reply.response.retry_run).toEqual({ status: 'retry', of: 'gh', attempt: 2, rerun: 1, kept: 2, files: 3 });
  await retried.node.close();
  await github.node.close();
  await first.close();
  // The earlier build's journal is gone: the retry run's own journal carries what it took over.
  const ghJournal = readdirSync(path.join(dataDir, 'runs')).find(file => readFileSync(path.join(dataDir, 'runs', file), 'utf8').includes('"buildId":"gh"'))!;
  rmSync(path.join(dataDir, 'runs', ghJournal));

  const second = await startTestServer({ dataDir });
  expect(second.run('same')).toMatchObject({ state: 'running', leased: { 'file-1.test.ts': 1 } });
  const back = await Node.join(second, { buildId: 'same', nodeId: 'r' });
  expect(back.reply.response).toMatchObject({ state: 'running', leases: ['file-1.test.ts'], retry_run: { status: 'retry', rerun: 1 } });
  expect((await back.node.deq({ 'file-1.test.ts': passed() })).response.summary).toMatchObject({ files: 3, passed: 3, kept: 2 });
  const gh = await Node.join(second, { buildId: 'gh-2', nodeId: 'g' });
  expect(gh.reply.response.retry_run).toMatchObject({ status: 'retry', of: 'gh', kept: 2 });
  expect((await gh.node.deq()).response.tests).toEqual(['file-1.test.ts']);
  expect((await gh.node.deq({ 'file-1.test.ts': passed() })).response.summary).toMatchObject({ files: 3, passed: 3, kept: 2 });
});
