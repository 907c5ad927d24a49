import { cleanup, KEY, RawSocket, startTestServer } from './helpers';

afterEach(cleanup);

const TOPIC = 'test_orchestrator:jest-b1';

describe('Phoenix channel semantics', () => {
  it('echoes integer refs in V1 and sends no join_ref on a heartbeat reply', async () => {
    const server = await startTestServer();
    const raw = await RawSocket.open(server, `secret_key=${KEY}&vsn=1.0.0`);
    raw.send({ topic: TOPIC, event: 'phx_join', payload: {}, ref: 1 });
    expect(await raw.nextFrame()).toEqual({
      topic: TOPIC,
      event: 'phx_reply',
      payload: { status: 'ok', response: { event: 'join', node_index: 0, state: 'waiting', extensions: ['files', 'running', 'reports', 'backups', 'parts', 'retry_run', 'cancel', 'bail', 'warm', 'shard', 'run_url', 'quarantine'] } },
      ref: 1,
    });
    raw.send({ topic: 'phoenix', event: 'heartbeat', payload: {}, ref: 7 });
    expect(await raw.nextFrame()).toEqual({ topic: 'phoenix', event: 'phx_reply', payload: { status: 'ok', response: {} }, ref: 7 });
    raw.close();
  });

  it('answers events on a topic the socket has not joined with "unmatched topic"', async () => {
    const server = await startTestServer();
    const raw = await RawSocket.open(server);
    raw.send(['1', '2', TOPIC, 'deq', {}]);
    expect(await raw.nextFrame()).toEqual(['1', '2', TOPIC, 'phx_reply', { status: 'error', response: { event: 'error', reason: 'unmatched topic' } }]);
    raw.send(['1', '3', 'room:lobby', 'phx_join', {}]);
    expect(await raw.nextFrame()).toEqual(['1', '3', 'room:lobby', 'phx_reply', { status: 'error', response: { event: 'error', reason: 'unmatched topic' } }]);
    raw.close();
  });

  it('closes the old channel with its join_ref on a duplicate join, and keeps the node by node_id', async () => {
    const server = await startTestServer();
    const raw = await RawSocket.open(server);
    raw.send(['1', '1', TOPIC, 'phx_join', { node_id: 'n' }]);
    await raw.nextFrame();
    raw.send(['5', '5', TOPIC, 'phx_join', { node_id: 'n' }]);
    expect(await raw.nextFrame()).toEqual(['1', '1', TOPIC, 'phx_close', {}]);
    expect(await raw.nextFrame()).toEqual(['5', '5', TOPIC, 'phx_reply', { status: 'ok', response: { event: 'join', node_index: 0, state: 'waiting', leases: [], extensions: ['files', 'running', 'reports', 'backups', 'parts', 'retry_run', 'cancel', 'bail', 'warm', 'shard', 'run_url', 'quarantine'] } }]);
    expect(server.run('b1')?.nodes).toHaveLength(1);
    raw.close();
  });

  it('answers phx_leave with ok, then phx_close', async () => {
    const server = await startTestServer();
    const raw = await RawSocket.open(server);
    raw.send(['1', '1', TOPIC, 'phx_join', {}]);
    await raw.nextFrame();
    raw.send(['1', '2', TOPIC, 'phx_leave', {}]);
    expect(await raw.nextFrame()).toEqual(['1', '2', TOPIC, 'phx_reply', { status: 'ok', response: {} }]);
    expect(await raw.nextFrame()).toEqual(['1', '1', TOPIC, 'phx_close', {}]);
    raw.send(['1', '3', TOPIC, 'deq', {}]);
    expect((await raw.nextFrame())[4]).toEqual({ status: 'error', response: { event: 'error', reason: 'unmatched topic' } });
    raw.close();
  });

  it('names an unknown event on a joined topic', async () => {
    const server = await startTestServer();
    const raw = await RawSocket.open(server);
    raw.send(['1', '1', TOPIC, 'phx_join', {}]);
    await raw.nextFrame();
    raw.send(['1', '2', TOPIC, 'shout', {}]);
    expect((await raw.nextFrame())[4]).toEqual({ status: 'error', response: { event: 'error', reason: 'unknown event "shout"; expected enq, deq, leave, files or running' } });
    raw.close();
  });

  it('closes a socket that stays silent past the idle timeout, with 1001', async () => {
    const server = await startTestServer({ idleTimeoutMs: 100 });
    const raw = await RawSocket.open(server);
    expect(await raw.closed).toEqual({ code: 1001, reason: 'idle timeout' });
  });

  it('closes sockets with 1001 when the server closes, and close() can be called twice', async () => {
    const server = await startTestServer();
    const raw = await RawSocket.open(server);
    await Promise.all([server.close(), server.close()]);
    expect(await raw.closed).toEqual({ code: 1001, reason: 'server shutting down' });
  });
});

it('closes the old channel when the same node_id joins from another socket', async () => {
  const server = await startTestServer();
  const first = await RawSocket.open(server);
  first.send(['1', '1', TOPIC, 'phx_join', { node_id: 'n' }]);
  await first.nextFrame();
  const second = await RawSocket.open(server);
  second.send(['3', '3', TOPIC, 'phx_join', { node_id: 'n' }]);
  expect((await second.nextFrame())[4].response).toMatchObject({ node_index: 0 });
  expect(await first.nextFrame()).toEqual(['1', '1', TOPIC, 'phx_close', {}]);
  first.send(['1', '4', TOPIC, 'deq', {}]);
  expect((await first.nextFrame())[4]).toEqual({ status: 'error', response: { event: 'error', reason: 'unmatched topic' } });
  first.close();
  second.close();
});
