/**
 * Parts of slow files, over the wire, on each store: the server learns a
 * file's tests from a finished run (memory, data dir or Redis), splits the
 * file in the next run for clients that accept parts, and records the file
 * once every part has its result.
 */
import type { EntryMap, FileEntry } from '../../src/protocol/types';
import { cleanup, KEY, Node, passed, pendingTests, startTestServer } from './helpers';

afterEach(cleanup);

const NAMES = ['adds', 'removes', 'totals', 'discounts', 'taxes', 'rounds'];

/** The heavy file's entry: 6 tests of 2 s. */
function heavy(names: readonly string[] = NAMES): FileEntry {
  const entry: FileEntry = { file_status: 'passed', test_count: names.length, test_counters: { passed: names.length, failed: 0, pending: 0 }, run_time: 2 * names.length };
  names.forEach((description, i) => (entry[String(i + 1)] = { status: 'passed', run_time: 2, description }));
  return entry;
}

function enqueued(): EntryMap {
  // The heavy file's last duration (12 s) and four of 1 s, as the client's Jest cache says.
  const tests = pendingTests(4, () => 1);
  tests['heavy.test.ts'] = { ...pendingTests(1, () => 12)['file-0.test.ts']! };
  return tests;
}

/** Two nodes join a run; the first enqueues. */
async function startRun(buildId: string, accepts?: string[]): Promise<Node[]> {
  const server = current!;
  const nodes = [];
  for (const nodeId of ['a', 'b']) nodes.push((await Node.join(server, { buildId, nodeId, workers: 2, accepts })).node);
  expect((await nodes[0]!.push('enq', { tests: enqueued(), nodes: 2 })).status).toBe('ok');
  return nodes;
}

let current: Awaited<ReturnType<typeof startTestServer>> | undefined;

/** A run in which the heavy file runs whole, to its end: the server keeps the file's tests. */
async function learn(buildId: string): Promise<void> {
  const [first] = await startRun(buildId);
  const results: EntryMap = {};
  for (let reply = await first!.deq(); reply.response.tests.length > 0; reply = await first!.deq(results)) {
    for (const id of reply.response.tests as string[]) results[id] = id === 'heavy.test.ts' ? heavy() : passed(1);
  }
  expect(current!.run(buildId)!.state).toBe('finished');
}

it("splits a file whose tests it learned in an earlier run, for nodes that accept parts, and records it once from its parts", async () => {
  current = await startTestServer({ splitMinSeconds: 5 });
  await learn('learn');

  // Run 2: 16 s over 4 slots; the 12 s file becomes 3 parts of 4 s.
  const [a, b] = await startRun('split', ['parts']);
  const snapshot = current.run('split')!;
  expect(Object.keys(snapshot.parts ?? {})).toEqual([1, 2, 3].map(i => `heavy.test.ts#part-${i}-of-3`));
  const handed = new Map<string, Node>();
  const specs: Record<string, { tests?: string[]; except?: string[] }> = {};
  for (const node of [a!, b!]) {
    const reply = await node.deq();
    Object.assign(specs, reply.response.parts ?? {});
    for (const id of reply.response.tests as string[]) handed.set(id, node);
  }
  const parts = [...handed.keys()].filter(id => id.includes('#part-'));
  expect(parts.length).toBeGreaterThanOrEqual(2);
  for (const id of parts) expect(specs[id]).toBeDefined();
  // Each part reports its own tests; the file's result is theirs merged. Each node works on until it is told the run is done.
  const namesOf = (id: string): readonly string[] => {
    const spec = current!.run('split')!.parts![id]!;
    return spec.tests ?? NAMES.filter(n => !spec.except!.includes(n));
  };
  const resultsOf = (ids: readonly string[]): EntryMap => Object.fromEntries(ids.map(id => [id, id.includes('#part-') ? heavy(namesOf(id)) : passed(1)]));
  await Promise.all(
    [a!, b!].map(async node => {
      let tests = [...handed].filter(([, n]) => n === node).map(([id]) => id);
      for (;;) {
        const reply = await node.deq(resultsOf(tests));
        tests = reply.response.tests as string[];
        if (tests.length === 0) return;
      }
    }),
  );
  const done = current.run('split')!;
  expect(done.state).toBe('finished');
  expect(done.results['heavy.test.ts']!.entry).toMatchObject({ file_status: 'passed', test_count: 6, test_counters: { passed: 6 } });
  expect(done.summary).toMatchObject({ files: 5, passed: 5, failed: 0 });
  // The dashboard's API counts the split file once (its parts are not files).
  const api = async (path: string): Promise<Record<string, unknown>> => {
    const response = await fetch(`${current!.dashboardUrl!}api/runs${path}`, { headers: { authorization: `Bearer ${KEY}` } });
    expect(response.status).toBe(200);
    return (await response.json()) as Record<string, unknown>;
  };
  expect(await api('/jest/split')).toMatchObject({ state: 'finished', total: 5, done: 5, failed: 0 });
  expect(((await api('')).runs as Array<Record<string, unknown>>).find(run => run.buildId === 'split')).toMatchObject({ total: 5, done: 5 });
});

it('does not split for clients that do not accept parts', async () => {
  current = await startTestServer({ splitMinSeconds: 5 });
  await learn('learn-2');
  await startRun('whole');
  expect(current.run('whole')!.parts).toBeUndefined();
});

it('sizes parts for as many nodes as the last run of the key had when no node total is sent, on every store', async () => {
  current = await startTestServer({ splitMinSeconds: 5 });
  // The learning run: two nodes of one worker; 'a' runs everything.
  const learning = [];
  for (const nodeId of ['a', 'b']) learning.push((await Node.join(current, { buildId: 'learn-nodes', nodeId, workers: 1 })).node);
  expect((await learning[0]!.push('enq', { tests: enqueued() })).status).toBe('ok');
  const results: EntryMap = {};
  for (let reply = await learning[0]!.deq(); reply.response.tests.length > 0; reply = await learning[0]!.deq(results)) {
    for (const id of reply.response.tests as string[]) results[id] = id === 'heavy.test.ts' ? heavy() : passed(1);
  }
  await learning[1]!.deq();
  expect(current.run('learn-nodes')!.state).toBe('finished');
  // Alone, one worker, no `nodes` in its enq: one slot here, but the last run had two nodes.
  const { node } = await Node.join(current, { buildId: 'remembered', nodeId: 'c', workers: 1, accepts: ['parts'] });
  expect((await node.push('enq', { tests: enqueued() })).status).toBe('ok');
  expect(Object.keys(current.run('remembered')!.parts ?? {})).toEqual([1, 2].map(i => `heavy.test.ts#part-${i}-of-2`));
});
