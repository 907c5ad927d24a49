/**
 * A file's history over runs, on each store (memory, and Redis in the redis
 * project): each finished run's outcome of the file with its build id and
 * commit, read through the dashboard's API as the page reads it, and since
 * when the file fails.
 */
import type { FileEntry } from '../../src/protocol/types';
import { cleanup, KEY, Node, passed, pendingTests, startTestServer } from './helpers';

afterEach(cleanup);

interface HistoryView {
  runs: Array<{ status: string; buildId: string; commit: string | null }>;
  failingSince: { buildId: string } | null;
  durations: number[];
}

/** The page's view of file-0's history, from run `buildId`'s page. */
async function history(dashboard: string, buildId: string): Promise<HistoryView> {
  const res = await fetch(`${dashboard}api/runs/jest/${buildId}/files/file-0.test.ts`, { headers: { authorization: `Bearer ${KEY}` }, signal: AbortSignal.timeout(5_000) });
  expect(res.status).toBe(200);
  return (await res.json()) as HistoryView;
}

const failed: FileEntry = { ...passed(0.5), file_status: 'failed', test_counters: { passed: 0, failed: 1, pending: 0 }, '1': { status: 'failed', run_time: 0.5, description: 'works', failure_message: 'boom' } };

it("keeps each finished run's outcome of a file, and says since when it fails, on every store", async () => {
  const server = await startTestServer();
  const outcomes = [failed, passed(0.5), failed, failed];
  for (const [i, entry] of outcomes.entries()) {
    const { node } = await Node.join(server, { buildId: `h${i + 1}`, workers: 1, params: { commit: `c${i + 1}` } });
    expect((await node.push('enq', { tests: pendingTests(1) })).status).toBe('ok');
    const batch = await node.deq();
    expect((await node.deq({ [batch.response.tests[0] as string]: entry })).response.summary).toMatchObject({ files: 1 });
    // The history is written as the run finishes, without holding its reply: wait until it has the run (bounded).
    for (const deadline = Date.now() + 5_000; (await history(server.dashboardUrl!, `h${i + 1}`)).runs.length < i + 1; ) {
      if (Date.now() > deadline) throw new Error(`run h${i + 1} never reached the history`);
      await new Promise(resolve => setTimeout(resolve, 20));
    }
  }
  const view = await history(server.dashboardUrl!, 'h4');
  expect(view.runs.map(r => [r.status, r.buildId, r.commit])).toEqual([
    ['failed', 'h1', 'c1'],
    ['passed', 'h2', 'c2'],
    ['failed', 'h3', 'c3'],
    ['failed', 'h4', 'c4'],
  ]);
  expect(view.failingSince).toMatchObject({ buildId: 'h3' });
  expect(view.durations).toHaveLength(4);
});

/** A file of two tests: `flips` failing or passing, `steady` passing. */
function twoTests(flips: 'passed' | 'failed'): FileEntry {
  const failedCount = flips === 'failed' ? 1 : 0;
  return {
    file_status: flips,
    test_count: 2,
    test_counters: { passed: 2 - failedCount, failed: failedCount, pending: 0 },
    run_time: 1,
    '1': { status: flips, run_time: 0.5, description: 'cart flips', ...(flips === 'failed' ? { failure_message: 'boom' } : {}) },
    '2': { status: 'passed', run_time: 0.5, description: 'cart steady' },
  };
}

it('enters a test that failed on one node and passed on its retry on another as a flake, on every store', async () => {
  const server = await startTestServer();
  for (const buildId of ['f1', 'f2']) {
    const a = (await Node.join(server, { buildId, nodeId: 'a', workers: 1, params: { commit: `sha-${buildId}`, branch: 'main' } })).node;
    const b = (await Node.join(server, { buildId, nodeId: 'b', workers: 1, params: { commit: `sha-${buildId}`, branch: 'main' } })).node;
    expect((await a.push('enq', { tests: pendingTests(1), retry: 1 })).status).toBe('ok');
    expect((await a.deq()).response.tests).toEqual(['file-0.test.ts']);
    // b waits for work; a's failure is not final: the file goes to b, and a's deq is held to the end.
    const bWaits = b.deq();
    const aReply = a.deq({ 'file-0.test.ts': twoTests('failed') });
    expect((await bWaits).response.tests).toEqual(['file-0.test.ts']);
    expect((await b.deq({ 'file-0.test.ts': twoTests('passed') })).response.summary).toMatchObject({ files: 1, failed: 0, flaky: ['file-0.test.ts'] });
    expect((await aReply).response.retry).toEqual(['file-0.test.ts']);
  }
  let view: { tests: Array<{ file: string; name: string; runs: number; flakes: number; failures: number; branches: string[]; recent: Array<{ status: string; attempt: number; node: string }> }>; total: number } | undefined;
  for (const deadline = Date.now() + 5_000; view?.tests[0]?.runs !== 2; ) {
    if (Date.now() > deadline) throw new Error(`the test history never had both runs: ${JSON.stringify(view)}`);
    const res = await fetch(`${server.dashboardUrl}api/flaky/jest`, { headers: { authorization: `Bearer ${KEY}` }, signal: AbortSignal.timeout(5_000) });
    expect(res.status).toBe(200);
    view = (await res.json()) as typeof view;
  }
  // Only the test that flipped: the steady one passed every time.
  expect(view!.total).toBe(1);
  expect(view!.tests[0]).toMatchObject({ file: 'file-0.test.ts', name: 'cart flips', runs: 2, failures: 2, flakes: 2, branches: ['main'] });
  expect(view!.tests[0]!.recent.map(o => [o.status, o.attempt, o.node])).toEqual([
    ['failed', 1, 'node 0'],
    ['passed', 2, 'node 1'],
    ['failed', 1, 'node 0'],
    ['passed', 2, 'node 1'],
  ]);
});

const VIEW = 'history-view-token-0123';

async function api(server: { dashboardUrl: string | undefined }, method: string, path: string, token: string, body?: object): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${server.dashboardUrl}api/${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(5_000),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

it('quarantines a test by hand through the API with the key, never the view token, and tells joining nodes; every change is audited', async () => {
  const server = await startTestServer({ viewToken: VIEW });
  const change = { file: 'file-0.test.ts', name: 'cart flips', reason: 'timer race, #412' };
  expect(await api(server, 'POST', 'quarantine/jest', VIEW, change)).toMatchObject({ status: 403, json: { error: expect.stringContaining('the view token') } });
  expect((await api(server, 'POST', 'quarantine/jest', KEY, { ...change, reason: '' })).status).toBe(400);
  const added = await api(server, 'POST', 'quarantine/jest', KEY, { ...change, days: 3 });
  expect(added.status).toBe(200);
  expect(added.json.tests).toEqual([expect.objectContaining({ file: 'file-0.test.ts', name: 'cart flips', by: 'api', reason: 'timer race, #412', expiresAt: expect.any(Number) })]);
  // The view token may read it.
  expect((await api(server, 'GET', 'quarantine/jest', VIEW)).json.tests).toHaveLength(1);
  // A node joining a run of the run key is told; its failure counts apart in the run's summary.
  const { node, reply } = await Node.join(server, { buildId: 'q1', workers: 1 });
  expect(reply.response.quarantine).toEqual([['file-0.test.ts', 'cart flips']]);
  expect((await node.push('enq', { tests: pendingTests(1), bail: 1 })).status).toBe('ok');
  await node.deq();
  // Taken out while the run goes: the run keeps the list it opened with, so a node joining now is told the same.
  expect((await api(server, 'DELETE', 'quarantine/jest', KEY, { ...change, reason: 'mid-run' })).status).toBe(200);
  const late = await Node.join(server, { buildId: 'q1', nodeId: 'late', workers: 1 });
  expect(late.reply.response.quarantine).toEqual([['file-0.test.ts', 'cart flips']]);
  const done = await node.deq({ 'file-0.test.ts': twoTests('failed') });
  expect(done.response.summary).toMatchObject({ files: 1, passed: 0, failed: 0, quarantined: ['file-0.test.ts'] });
  expect(done.response.summary!.stopped).toBeUndefined();
  expect((await api(server, 'POST', 'quarantine/jest', KEY, change)).status).toBe(200);
  const removed = await api(server, 'DELETE', 'quarantine/jest', KEY, { ...change, reason: 'fixed' });
  expect(removed.json.tests).toEqual([]);
  expect((removed.json.audit as Array<{ action: string; why: string }>).map(a => [a.action, a.why])).toEqual([
    ['add', 'timer race, #412'],
    ['remove', 'mid-run'],
    ['add', 'timer race, #412'],
    ['remove', 'fixed'],
  ]);
  expect((await api(server, 'DELETE', 'quarantine/jest', KEY, { ...change, reason: 'again' })).status).toBe(404);
});

it('quarantines a test by itself after K flakes (--auto-quarantine), on every store, and the next run is told', async () => {
  const server = await startTestServer({ autoQuarantine: 2 });
  for (const buildId of ['a1', 'a2']) {
    const a = (await Node.join(server, { buildId, nodeId: 'a', workers: 1, params: { commit: `sha-${buildId}` } })).node;
    const b = (await Node.join(server, { buildId, nodeId: 'b', workers: 1, params: { commit: `sha-${buildId}` } })).node;
    expect((await a.push('enq', { tests: pendingTests(1), retry: 1 })).status).toBe('ok');
    await a.deq();
    const bWaits = b.deq();
    const aReply = a.deq({ 'file-0.test.ts': twoTests('failed') });
    await bWaits;
    await b.deq({ 'file-0.test.ts': twoTests('passed') });
    await aReply;
  }
  for (const deadline = Date.now() + 5_000; ((await api(server, 'GET', 'quarantine/jest', KEY)).json.tests as unknown[]).length === 0; ) {
    if (Date.now() > deadline) throw new Error('the test never entered quarantine');
    await new Promise(resolve => setTimeout(resolve, 20));
  }
  const q = await api(server, 'GET', 'quarantine/jest', KEY);
  expect(q.json.tests).toEqual([expect.objectContaining({ file: 'file-0.test.ts', name: 'cart flips', by: 'auto', cleanRuns: 10 })]);
  const { reply } = await Node.join(server, { buildId: 'a3', workers: 1 });
  expect(reply.response.quarantine).toEqual([['file-0.test.ts', 'cart flips']]);
  // The flaky view marks it.
  const flaky = await api(server, 'GET', 'flaky/jest', KEY);
  expect((flaky.json.tests as Array<{ quarantine: unknown }>)[0]!.quarantine).toMatchObject({ by: 'auto' });
});

it("holds the cap: a bad day's flakes quarantine at most the cap's share of a run's tests, the refusal audited", async () => {
  // 50 % of a run of 2 tests: one test.
  const server = await startTestServer({ autoQuarantine: 1, quarantineCapPercent: 50 });
  const bothFlip: FileEntry = {
    ...twoTests('failed'),
    test_counters: { failed: 2, passed: 0, pending: 0 },
    '2': { status: 'failed', run_time: 0.5, description: 'cart steady', failure_message: 'bang' },
  };
  for (const buildId of ['cap1', 'cap2']) {
    const a = (await Node.join(server, { buildId, nodeId: 'a', workers: 1, params: { commit: `sha-${buildId}` } })).node;
    const b = (await Node.join(server, { buildId, nodeId: 'b', workers: 1, params: { commit: `sha-${buildId}` } })).node;
    expect((await a.push('enq', { tests: pendingTests(1), retry: 1 })).status).toBe('ok');
    await a.deq();
    const bWaits = b.deq();
    const aReply = a.deq({ 'file-0.test.ts': bothFlip });
    await bWaits;
    await b.deq({ 'file-0.test.ts': twoTests('passed') });
    await aReply;
  }
  for (const deadline = Date.now() + 5_000; ; ) {
    const q = (await api(server, 'GET', 'quarantine/jest', KEY)).json as { audit: unknown[] };
    if (q.audit.length >= 2) break;
    if (Date.now() > deadline) throw new Error(`the runs never changed the quarantine: ${JSON.stringify(q)}`);
    await new Promise(resolve => setTimeout(resolve, 20));
  }
  // Both tests flaked; one entered, the other was refused for the cap.
  const q = (await api(server, 'GET', 'quarantine/jest', KEY)).json as { tests: Array<{ name: string }>; audit: Array<{ action: string; name: string; why: string }> };
  expect(q.tests).toHaveLength(1);
  expect(q.audit.map(a => a.action).sort()).toEqual(['add', 'refuse']);
  expect(q.audit.find(a => a.action === 'refuse')!.why).toContain('--quarantine-cap');
  const { reply } = await Node.join(server, { buildId: 'cap3', workers: 1 });
  expect(reply.response.quarantine).toEqual([['file-0.test.ts', q.tests[0]!.name]]);
});

it('lets a quarantined test go after its clean runs in a row, and the next run is not told of it', async () => {
  const server = await startTestServer();
  const added = await api(server, 'POST', 'quarantine/jest', KEY, { file: 'file-0.test.ts', name: 'cart flips', reason: 'watch it', cleanRuns: 2 });
  expect(added.status).toBe(200);
  for (const [i, buildId] of ['c1', 'c2'].entries()) {
    const { node, reply } = await Node.join(server, { buildId, workers: 1 });
    expect(reply.response.quarantine).toEqual([['file-0.test.ts', 'cart flips']]);
    expect((await node.push('enq', { tests: pendingTests(1) })).status).toBe('ok');
    await node.deq();
    await node.deq({ 'file-0.test.ts': twoTests('passed') });
    for (const deadline = Date.now() + 5_000; ; ) {
      const q = (await api(server, 'GET', 'quarantine/jest', KEY)).json as { tests: Array<{ clean: number }> };
      if (i === 0 ? q.tests[0]?.clean === 1 : q.tests.length === 0) break;
      if (Date.now() > deadline) throw new Error(`run ${buildId} never counted: ${JSON.stringify(q)}`);
      await new Promise(resolve => setTimeout(resolve, 20));
    }
  }
  const q = (await api(server, 'GET', 'quarantine/jest', KEY)).json as { audit: Array<{ action: string; why: string }> };
  expect(q.audit.map(a => [a.action, a.why])).toEqual([['add', 'watch it'], ['release', '2 clean runs in a row']]);
  const { reply } = await Node.join(server, { buildId: 'c3', workers: 1 });
  expect(reply.response.quarantine).toBeUndefined();
});
