import { cleanup, Node, pendingTests, resultsFor, startTestServer, until } from './helpers';

afterEach(cleanup);

/** Two nodes on a two-file run, each holding one file; `a` has reported its file and its next deq is held. */
async function holdingA(options: Parameters<typeof startTestServer>[0] = {}) {
  const server = await startTestServer(options);
  const a = (await Node.join(server, { nodeId: 'node-a' })).node;
  const b = (await Node.join(server, { nodeId: 'node-b' })).node;
  await a.enq(pendingTests(2));
  const [aFile] = (await a.deq()).response.tests;
  const [bFile] = (await b.deq()).response.tests;
  const held = a.deq(resultsFor([aFile]));
  await until(() => server.run('build-1')?.results[aFile] !== undefined, 'a result recorded');
  return { server, a, b, aFile, bFile, held };
}

it('holds a deq while another node has files, and answers it with the summary when the run completes', async () => {
  const { server, b, bFile, held } = await holdingA();
  let settled = false;
  void held.then(() => (settled = true));
  // The server says it holds a's deq: no reply has been sent, so none can be on its way.
  await until(() => server.run('build-1')!.nodes[0]!.waiting, "a's deq held");
  expect(settled).toBe(false);

  const last = await b.deq(resultsFor([bFile]));
  expect(last.response).toEqual({ event: 'deq', tests: [], summary: expect.objectContaining({ files: 2, nodes: 2, files_by_node: { '0': 1, '1': 1 } }) });
  expect((await held).response).toEqual(last.response);
  expect((await server.waitForRun('build-1')).state).toBe('finished');
});

it('answers a held deq with the files of a node that leaves', async () => {
  const { server, a, b, bFile, held } = await holdingA();
  expect(await b.push('leave', {})).toEqual({ status: 'ok', response: {} });
  expect((await held).response).toEqual({ event: 'deq', tests: [bFile] });
  expect(server.run('build-1')?.leased).toEqual({ [bFile]: 0 });
  const done = await a.deq(resultsFor([bFile]));
  expect(done.response.summary).toMatchObject({ files: 2, files_by_node: { '0': 2 } });
});

it('returns the files of a closed socket after the reconnect grace', async () => {
  const { server, b, bFile, held } = await holdingA({ reconnectGraceMs: 50 });
  await b.close();
  expect((await held).response.tests).toEqual([bFile]);
  expect(server.run('build-1')?.nodes[1]).toMatchObject({ connected: false, left: false });
  expect(server.run('build-1')?.warnings).toContainEqual(expect.stringMatching(/requeued: node 1 did not come back/));
});

it('takes back a lease that outlives the lease timeout, and ignores the late result', async () => {
  const { server, a, b, bFile, held } = await holdingA({ leaseTimeoutMs: 300 });
  expect((await held).response.tests).toEqual([bFile]);
  // b's late result arrives first: ignored, and b (holding nothing now) waits for the end.
  const late = b.deq(resultsFor([bFile]));
  const done = await a.deq(resultsFor([bFile]));
  expect(done.response.summary).toMatchObject({ files: 2, files_by_node: { '0': 2 } });
  expect((await late).response).toEqual(done.response);
  const run = await server.waitForRun('build-1');
  expect(run.results[bFile].nodeIndex).toBe(0);
  expect(run.warnings).toContainEqual(expect.stringMatching(/requeued: lease of node 1 expired/));
  expect(run.warnings).toContainEqual(expect.stringMatching(/ignored result for "file-\d.test.ts" from node 1: leased to node 0/));
});

it('gives a node that rejoins with its node_id its index and leases back', async () => {
  const { server, b, bFile, held } = await holdingA({ reconnectGraceMs: 30_000 });
  await b.close();
  await until(() => server.run('build-1')?.nodes[1].connected === false, 'b disconnected');
  const again = await Node.join(server, { nodeId: 'node-b' });
  // The rejoin reply lists what the node holds, in case a deq reply was lost with the connection.
  expect(again.reply.response).toEqual({ event: 'join', node_index: 1, state: 'running', leases: [bFile], extensions: ['files', 'running', 'reports', 'backups', 'parts', 'retry_run', 'cancel', 'bail', 'warm', 'shard', 'run_url', 'quarantine'] });
  expect(server.run('build-1')?.leased).toEqual({ [bFile]: 1 });
  const done = await again.node.deq(resultsFor([bFile]));
  expect(done.response.summary).toMatchObject({ files: 2, files_by_node: { '0': 1, '1': 1 } });
  expect((await held).response.tests).toEqual([]);
});

it('replies [] at once when the queue is empty and the node still holds files (report yours)', async () => {
  const server = await startTestServer();
  const { node } = await Node.join(server);
  await node.enq(pendingTests(2));
  const one = (await node.deq()).response.tests;
  const two = (await node.deq()).response.tests;
  expect(await node.deq()).toEqual({ status: 'ok', response: { event: 'deq', tests: [] } });
  const done = await node.deq(resultsFor([...one, ...two]));
  expect(done.response.summary).toMatchObject({ files: 2 });
});

it('ignores results for files the node does not hold, with a warning, never an error', async () => {
  const server = await startTestServer();
  const { node } = await Node.join(server);
  await node.enq(pendingTests(2));
  const [first] = (await node.deq()).response.tests;
  const other = first === 'file-0.test.ts' ? 'file-1.test.ts' : 'file-0.test.ts';
  expect((await node.deq(resultsFor([first, 'nope.test.ts']))).response.tests).toEqual([other]);
  const reply = await node.deq(resultsFor([first]));
  expect(reply.status).toBe('ok');
  const run = server.run('build-1')!;
  expect(Object.keys(run.results)).toEqual([first]);
  expect(run.warnings).toEqual(
    expect.arrayContaining([
      expect.stringMatching(/"nope.test.ts" from node 0: not a test of this run/),
      expect.stringMatching(new RegExp(`"${first}" from node 0: already has a result`)),
    ]),
  );
});

describe('enq_request', () => {
  it('asks the lowest connected node to enqueue when node 0 leaves first', async () => {
    const server = await startTestServer();
    const zero = (await Node.join(server)).node;
    const one = (await Node.join(server)).node;
    const two = (await Node.join(server)).node;
    await zero.push('leave', {});
    await one.nextPush('enq_request');
    expect(one.pushes).toEqual([{ event: 'enq_request', payload: {} }]);
    expect(two.pushes).toEqual([]);
    await one.enq(pendingTests(1));
    await two.nextPush('deq_request');
    expect(server.run('build-1')?.state).toBe('running');
  });

  it('asks after node 0 is gone past the grace, or the next node to join when none is connected', async () => {
    const server = await startTestServer({ reconnectGraceMs: 30 });
    const zero = (await Node.join(server)).node;
    await zero.close();
    await until(() => server.run('build-1')!.nodes[0]!.lost, 'node 0 lost past its grace');
    const one = await Node.join(server);
    expect(one.reply.response).toMatchObject({ node_index: 1, state: 'waiting' });
    await one.node.nextPush('enq_request');
  });
});

it('pushes deq_request to an idle connected node when files come back to the queue', async () => {
  const server = await startTestServer();
  const a = (await Node.join(server)).node;
  const b = (await Node.join(server)).node;
  await a.enq(pendingTests(3));
  await a.deq();
  await b.deq();
  await a.deq(); // a now holds two files, b one; the queue is empty
  const c = (await Node.join(server)).node;
  await b.push('leave', {});
  await c.nextPush('deq_request');
  // a's one push is the one every waiting node got at the enq; it holds files now, so none for the files that came back.
  expect(a.pushes).toEqual([{ event: 'deq_request', payload: {} }]);
  expect((await c.deq()).response.tests).toHaveLength(1);
});
