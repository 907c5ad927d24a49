/**
 * The server with nodes that speak like the reference FastCI clients
 * (test/helpers/referenceClient.ts): V1 objects, integer refs, the five
 * query params of the early Ruby client, a node 0 that sends `deq` only when
 * told to, results of a whole batch in one `deq`, `leave` without waiting.
 */
import { groupedResult, passedResult, startReferenceNode, type ReferenceResults } from '../helpers/referenceClient';
import { cleanup, KEY, startTestServer, until } from './helpers';
import type { OrchestratorServer } from '../../src/server';

afterEach(cleanup);

const EX_UNIT_IDS = [
  'Elixir.FastCi.Subdir1.Test#sync',
  'Elixir.FastCi.Subdir2.Test#async',
  'Elixir.FastCi.Subdir5.Test#sync',
  'Elixir.FastCi.Test#async',
  'Elixir.FastCiTest#async',
  'Elixir.FastCi.Structs.TestTest#async',
];

const RSPEC_IDS = [
  'spec/models/user_spec.rb',
  'spec/models/order_spec.rb',
  'spec/requests/api/v1/orders_spec.rb',
  'spec/system/checkout_spec.rb',
  'spec/lib/money_spec.rb',
];

function node(server: OrchestratorServer, buildId: string, options: Partial<Parameters<typeof startReferenceNode>[0]> = {}) {
  return startReferenceNode({ server: server.url, secretKey: KEY, buildId, runKey: 'ex_unit', tests: EX_UNIT_IDS, ...options });
}

it('a reference node 0 alone joins as waiting, enqueues, is told to start, and runs every file', async () => {
  const server = await startTestServer();
  const outcome = await node(server, '0891fba').done;

  expect(outcome).toMatchObject({ nodeIndex: 0, joinState: 'waiting', deqRequests: 1 });
  expect(outcome.batches.flat().sort()).toEqual([...EX_UNIT_IDS].sort());
  const run = server.run('0891fba', 'ex_unit')!;
  expect(run.state).toBe('finished');
  expect(Object.keys(run.results).sort()).toEqual([...EX_UNIT_IDS].sort());
  expect(run.results['Elixir.FastCi.Test#async']).toEqual({ entry: passedResult(), nodeIndex: 0 });
  expect(run.summary).toMatchObject({ files: 6, passed: 6, failed: 0, tests: 6, nodes: 1 });
  // The reference client ignores the summary (an extension), but it is there.
  expect(outcome.finalReply).toEqual({ summary: run.summary });
  expect(run.warnings).toEqual([]);
  // One deq to start, then one per batch carrying its results; the last is answered with [].
  expect(run.frames!.map(f => f.message.event)).toEqual(['phx_join', 'enq', ...outcome.batches.map(() => 'deq'), 'deq', 'leave']);
});

it('echoes the reference client\'s integer refs as integers, from the heartbeat\'s 0 on', async () => {
  const server = await startTestServer();
  const outcome = await node(server, '0891fba').done;
  const replies = outcome.received.filter(f => f.event === 'phx_reply');
  expect(replies[0]).toEqual({ topic: 'phoenix', event: 'phx_reply', payload: { status: 'ok', response: {} }, ref: 0 });
  expect(replies[1]).toEqual({
    topic: 'test_orchestrator:ex_unit-0891fba',
    event: 'phx_reply',
    payload: { status: 'ok', response: { event: 'join', node_index: 0, state: 'waiting', extensions: ['files', 'running', 'reports', 'backups', 'parts', 'retry_run', 'cancel', 'bail', 'warm', 'shard', 'run_url', 'quarantine'] } },
    ref: 1,
  });
  // No join_ref on anything sent back: the client never sent one.
  expect(outcome.received.every(f => !('join_ref' in f))).toBe(true);
  expect(replies.every(f => Number.isInteger(f.ref))).toBe(true);
});

it('takes a socket with only build_id, run_key, secret_key, commit and branch (no vsn, commit_msg or author)', async () => {
  const server = await startTestServer();
  await node(server, '0891fba', { commit: 'c0ffee1', branch: 'feature/elixir' }).done;
  const run = server.run('0891fba', 'ex_unit')!;
  expect(run.meta).toEqual({ commit: 'c0ffee1', branch: 'feature/elixir' });
  expect(run.frames![0]!.query).toEqual({ build_id: '0891fba', run_key: 'ex_unit', commit: 'c0ffee1', branch: 'feature/elixir' });
});

it('two reference nodes that joined as waiting are both told to start, and run every file once', async () => {
  const server = await startTestServer();
  const buildId = 'ex-unit-two-nodes';
  const snapshot = () => server.run(buildId, 'ex_unit');
  let bothHandedWork = false;
  const run = async (ids: readonly string[]): Promise<ReferenceResults> => {
    // The first batches wait until each node holds one: both take part, whatever the timing.
    await until(() => (bothHandedWork ||= new Set(Object.values(snapshot()?.leased ?? {})).size === 2), 'both nodes holding files');
    return Object.fromEntries(ids.map(id => [id, passedResult()]));
  };
  // Node 0 is still loading its suite when node 1 joins: both join before the enq.
  const loadSuite = async (): Promise<readonly string[]> => {
    await until(() => snapshot()?.nodes.length === 2, 'node 1 joined');
    return EX_UNIT_IDS;
  };
  const zero = node(server, buildId, { run, tests: loadSuite });
  await zero.joined;
  const one = node(server, buildId, { run });
  const [a, b] = await Promise.all([zero.done, one.done]);

  expect([a, b].map(o => [o.nodeIndex, o.joinState, o.deqRequests])).toEqual([
    [0, 'waiting', 1],
    [1, 'waiting', 1],
  ]);
  expect(a.batches.length).toBeGreaterThan(0);
  expect(b.batches.length).toBeGreaterThan(0);
  expect([...a.batches.flat(), ...b.batches.flat()].sort()).toEqual([...EX_UNIT_IDS].sort());
  const finished = snapshot()!;
  expect(Object.keys(finished.results).sort()).toEqual([...EX_UNIT_IDS].sort());
  expect(finished.summary.files_by_node).toEqual({ '0': a.batches.flat().length, '1': b.batches.flat().length });
  expect(finished.warnings).toEqual([]);
  // The nodes' last frames (leave, then the close) may still be on their way through the server's store.
  await until(() => snapshot()!.nodes.every(n => !n.connected), 'both nodes gone');
  expect(snapshot()!.nodes.map(n => ({ left: n.left, connected: n.connected, lost: n.lost }))).toEqual([
    { left: true, connected: false, lost: false },
    { left: true, connected: false, lost: false },
  ]);
});

it('RSpec ids and Minitest-style results: cases grouped under "1", a whole batch reported in one deq', async () => {
  const server = await startTestServer();
  const results = (id: string) =>
    groupedResult(id.replace(/^spec\/|_spec\.rb$/g, ''), [
      { name: 'is valid', status: 'passed', seconds: 0.012 },
      { name: id === 'spec/lib/money_spec.rb' ? 'rounds half to even' : 'saves', status: id === 'spec/lib/money_spec.rb' ? 'failed' : 'passed', seconds: 0.3 },
      { name: 'is slow', status: 'pending', seconds: 0 },
    ]);
  const outcome = await node(server, '4242', { runKey: 'rspec', tests: RSPEC_IDS, run: ids => Object.fromEntries(ids.map(id => [id, results(id)])) }).done;

  const run = server.run('4242', 'rspec')!;
  expect(run.state).toBe('finished');
  expect(run.results['spec/lib/money_spec.rb']!.entry).toEqual(results('spec/lib/money_spec.rb'));
  expect(run.summary).toMatchObject({ files: 5, passed: 4, failed: 1, pending: 0, tests: 15 });
  // Each deq after the first carried the results of the whole batch before it.
  expect(outcome.batches[0]!.length).toBeGreaterThan(1);
  const deqs = run.frames!.filter(f => f.message.event === 'deq').map(f => Object.keys(f.message.payload as object).sort());
  expect(deqs).toEqual([[], ...outcome.batches.map(batch => [...batch].sort())]);
  expect(run.warnings).toEqual([]);
});

it('a node that sends leave and closes without reading the reply is recorded as left, not lost', async () => {
  const server = await startTestServer({ reconnectGraceMs: 60_000 });
  await node(server, '0891fba').done;
  await until(() => server.run('0891fba', 'ex_unit')?.nodes[0]?.connected === false, 'the socket closed');
  const run = server.run('0891fba', 'ex_unit')!;
  expect(run.nodes[0]).toMatchObject({ left: true, connected: false, lost: false, waiting: false, filesReported: 6 });
  expect(run.leased).toEqual({});
  expect(server.stats().sockets).toBe(0);
});
