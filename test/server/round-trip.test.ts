import { cleanup, Node, passed, pendingTests, resultsFor, startTestServer, until } from './helpers';

afterEach(cleanup);

describe.each(['1.0.0', '2.0.0'] as const)('a run over vsn %s', vsn => {
  it('assigns node indexes in join order and reports the state', async () => {
    const server = await startTestServer();
    const a = await Node.join(server, { vsn });
    const b = await Node.join(server, { vsn });
    expect(a.reply).toEqual({ status: 'ok', response: { event: 'join', node_index: 0, state: 'waiting', extensions: ['files', 'running', 'reports', 'backups', 'parts', 'retry_run', 'cancel', 'bail', 'warm', 'shard', 'run_url', 'quarantine'] } });
    expect(b.reply.response).toMatchObject({ node_index: 1, state: 'waiting' });
    expect((await a.node.enq(pendingTests(2))).status).toBe('ok');
    const c = await Node.join(server, { vsn });
    expect(c.reply.response).toMatchObject({ node_index: 2, state: 'running' });
    expect(server.run('build-1')?.nodes.map(n => n.index)).toEqual([0, 1, 2]);
  });

  it('runs enq, deq with results, and leave to the end, with the summary on the last reply', async () => {
    const server = await startTestServer();
    const { node } = await Node.join(server, { vsn, params: { branch: 'main', commit: 'abc123', author: '{"name":"Ada"}' } });
    const tests = pendingTests(3, i => [1, 5, 3][i]);
    expect(await node.enq(tests)).toEqual({ status: 'ok', response: {} });

    // One node, three files: half the fair share is 1, so single files, longest first.
    const first = await node.deq();
    expect(first).toEqual({ status: 'ok', response: { event: 'deq', tests: ['file-1.test.ts'] } });
    expect(server.run('build-1')?.leased).toEqual({ 'file-1.test.ts': 0 });

    const seen: string[] = [...first.response.tests];
    let reply = await node.deq(resultsFor(first.response.tests));
    while (reply.response.tests.length > 0) {
      seen.push(...reply.response.tests);
      reply = await node.deq(resultsFor(reply.response.tests));
    }
    expect(seen).toEqual(['file-1.test.ts', 'file-2.test.ts', 'file-0.test.ts']);
    expect(reply.response.summary).toEqual({ files: 3, passed: 3, failed: 0, pending: 0, tests: 3, nodes: 1, files_by_node: { '0': 3 } });
    expect(await node.push('leave', {})).toEqual({ status: 'ok', response: {} });

    const run = await server.waitForRun('build-1');
    expect(run.state).toBe('finished');
    expect(run.meta).toEqual({ branch: 'main', commit: 'abc123', author: { name: 'Ada' } });
    expect(run.enqueued).toEqual(tests);
    expect(run.results['file-0.test.ts']).toEqual({ entry: passed(), nodeIndex: 0 });
    expect(run.queued).toEqual([]);
    expect(run.leased).toEqual({});
    expect(run.nodes[0]).toMatchObject({ index: 0, left: true, filesReported: 3 });
    expect(run.frames?.map(f => f.message.event)).toEqual(['phx_join', 'enq', 'deq', 'deq', 'deq', 'deq', 'leave']);
    expect(run.frames?.every(f => !('secret_key' in f.query))).toBe(true);
    expect(run.frames?.[0].query).toMatchObject({ build_id: 'build-1', run_key: 'jest', branch: 'main' });
  });
});

it('pushes deq_request to every node that joined as waiting when the queue fills, the enqueuer included', async () => {
  const server = await startTestServer();
  const a = await Node.join(server);
  const b = await Node.join(server);
  // A reference client's node 0 sends deq only when told to (issue 16). The
  // push goes out before the enq reply, on the same socket.
  await a.node.enq(pendingTests(4));
  expect(a.node.pushes).toEqual([{ event: 'deq_request', payload: {} }]);
  await b.node.nextPush('deq_request');
  expect(b.node.pushes).toEqual([{ event: 'deq_request', payload: {} }]);
});

it('answers a deq held before the enq with a batch, and pushes no deq_request to that node', async () => {
  const server = await startTestServer();
  const a = await Node.join(server);
  const b = await Node.join(server);
  const held = b.node.deq();
  await until(() => server.run('build-1')?.nodes[1]?.waiting === true, 'the deq of node 1 held');
  await a.node.enq(pendingTests(4));
  expect((await held).response.tests).toEqual(['file-0.test.ts']);
  // A push from the enq would have come before the reply to this later request.
  expect((await b.node.push('files', { count: 4, digest: '0'.repeat(64) })).status).toBe('ok');
  expect(b.node.pushes).toEqual([]);
  expect(server.run('build-1')?.leased).toEqual({ 'file-0.test.ts': 1 });
});

it('answers a second identical enq with ok and a warning, and a different one with an error', async () => {
  const server = await startTestServer();
  const { node } = await Node.join(server);
  await node.enq(pendingTests(3));
  expect(await node.enq(pendingTests(3))).toEqual({ status: 'ok', response: {} });
  const different = await node.enq(pendingTests(4));
  expect(different.status).toBe('error');
  expect(different.response.reason).toMatch(/differs .* in 1 test ids/);
  expect(server.run('build-1')?.warnings).toEqual([expect.stringMatching(/duplicate enq/)]);
});

it('gives a late joiner [] and the summary at once', async () => {
  const server = await startTestServer();
  const { node } = await Node.join(server);
  await node.enq(pendingTests(1));
  const batch = await node.deq();
  await node.deq(resultsFor(batch.response.tests));
  const late = await Node.join(server);
  // `finished` (extension) tells our client it joined a run that is over.
  expect(late.reply.response).toEqual({ event: 'join', node_index: 1, state: 'running', finished: true, extensions: ['files', 'running', 'reports', 'backups', 'parts', 'retry_run', 'cancel', 'bail', 'warm', 'shard', 'run_url', 'quarantine'] });
  const reply = await late.node.deq();
  expect(reply.response).toEqual({ event: 'deq', tests: [], summary: expect.objectContaining({ files: 1, passed: 1 }) });
});

it('re-runs the failed file of a finished run for a retried job, and gives a late node of it [] (the CI says first attempt)', async () => {
  const server = await startTestServer();
  const { node } = await Node.join(server);
  await node.enq(pendingTests(2));
  const failing = { ...passed(), file_status: 'failed' as const, test_counters: { failed: 1, passed: 0, pending: 0 } };
  let batch: string[] = (await node.deq()).response.tests;
  while (batch.length > 0) batch = (await node.deq(Object.fromEntries(batch.map(id => [id, id === 'file-1.test.ts' ? failing : passed()])))).response.tests;
  const late = await Node.join(server, { retryRun: { mode: 'failed', again: false } });
  expect(late.reply.response).toMatchObject({ finished: true });
  const retried = await Node.join(server, { nodeId: 'r', retryRun: { mode: 'failed', again: true, attempt: 2 } });
  expect(retried.reply.response).toMatchObject({ state: 'running', retry_run: { status: 'retry', of: 'build-1', attempt: 2, rerun: 1, kept: 1, files: 2 } });
  expect((await retried.node.deq()).response.tests).toEqual(['file-1.test.ts']);
  const done = await retried.node.deq(resultsFor(['file-1.test.ts']));
  expect(done.response.summary).toMatchObject({ files: 2, passed: 2, failed: 0, kept: 1, nodes: 1 });
  expect(server.run('build-1')).toMatchObject({ state: 'finished', results: { 'file-1.test.ts': { nodeIndex: 2, attempt: 2 } } });
});

it('refuses an empty enq: a run of no files would pass every node that joins it', async () => {
  const server = await startTestServer();
  const { node } = await Node.join(server);
  expect(await node.enq({})).toEqual({
    status: 'error',
    response: { event: 'error', reason: 'enq has no tests: a run needs at least one test file (did this node find any?)' },
  });
  expect(server.run('build-1')?.state).toBe('waiting');
});
