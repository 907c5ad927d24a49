import { cleanup, Node, pendingTests, startTestServer, until } from './helpers';

afterEach(cleanup);

it('evicts finished runs after finishedRunTtlMs, and unfinished runs nobody is connected to', async () => {
  const server = await startTestServer({ finishedRunTtlMs: 200, reconnectGraceMs: 10 });
  const done = (await Node.join(server, { buildId: 'done' })).node;
  await done.enq({});
  expect(server.run('done')?.state).toBe('finished');
  await until(() => server.run('done') === undefined, 'the finished run evicted');

  const abandoned = (await Node.join(server, { buildId: 'abandoned' })).node;
  await abandoned.enq(pendingTests(2));
  await abandoned.close();
  expect(server.run('abandoned')?.state).toBe('running');
  await until(() => server.run('abandoned') === undefined, 'the abandoned run evicted');
});
