import { request } from 'node:http';
import { cleanup, KEY, Node, OTHER_KEY, pendingTests, RawSocket, startTestServer, upgradeStatus } from './helpers';

afterEach(cleanup);

describe('upgrade', () => {
  it.each([
    ['no key', 'vsn=2.0.0', 403, /missing or unknown secret_key/],
    ['a wrong key', 'vsn=2.0.0&secret_key=nope', 403, /missing or unknown secret_key/],
    ['an unsupported vsn', `vsn=3.0.0&secret_key=${KEY}`, 403, /unsupported vsn "3.0.0"/],
  ])('refuses %s with HTTP %d', async (_what, query, status, body) => {
    const server = await startTestServer();
    const refused = await upgradeStatus(server, query);
    expect(refused.status).toBe(status);
    expect(refused.body).toMatch(body);
    expect(refused.body).not.toContain(KEY);
  });

  it('answers 404 off the socket path', async () => {
    const server = await startTestServer();
    expect((await upgradeStatus(server, `secret_key=${KEY}`, '/socket/websocket')).status).toBe(404);
  });

  it('accepts no vsn as 1.0.0, the way the reference clients connect', async () => {
    const server = await startTestServer();
    const raw = await RawSocket.open(server, `secret_key=${KEY}`);
    raw.send({ topic: 'phoenix', event: 'heartbeat', payload: {}, ref: 0 });
    expect(await raw.nextFrame()).toEqual({ topic: 'phoenix', event: 'phx_reply', payload: { status: 'ok', response: {} }, ref: 0 });
    raw.close();
  });

  it('refuses connections over the per-key limit with 429, per key', async () => {
    const server = await startTestServer({ maxConnectionsPerKey: 1 });
    const first = await RawSocket.open(server);
    const refused = await upgradeStatus(server, `secret_key=${KEY}`);
    expect(refused).toEqual({ status: 429, body: 'too many connections for this key (limit 1)\n' });
    const other = await RawSocket.open(server, `secret_key=${OTHER_KEY}`);
    first.close();
    other.close();
  });

  it('answers GET /health', async () => {
    const server = await startTestServer();
    const status = await new Promise<number>((resolve, reject) => {
      request(`http://127.0.0.1:${server.port}/health`, res => {
        res.resume();
        resolve(res.statusCode ?? 0);
      })
        .on('error', reject)
        .end();
    });
    expect(status).toBe(200);
  });
});

describe('keys', () => {
  it('never lets two keys share a run with the same build id', async () => {
    const server = await startTestServer();
    const one = await Node.join(server, { key: KEY, buildId: 'same' });
    const two = await Node.join(server, { key: OTHER_KEY, buildId: 'same' });
    expect(one.reply.response.node_index).toBe(0);
    expect(two.reply.response.node_index).toBe(0);
    await one.node.enq(pendingTests(1));
    await two.node.enq(pendingTests(3));
    const runs = server.runs().filter(r => r.buildId === 'same');
    expect(runs.map(r => [r.keyIndex, Object.keys(r.enqueued).length])).toEqual([
      [0, 1],
      [1, 3],
    ]);
    expect(JSON.stringify(server.runs())).not.toContain(KEY);
  });

  it('refuses a join over the per-key run limit with an error reply', async () => {
    const server = await startTestServer({ maxRunsPerKey: 1 });
    await Node.join(server, { buildId: 'one' });
    const refused = await Node.join(server, { buildId: 'two' });
    expect(refused.reply).toEqual({ status: 'error', response: { event: 'error', reason: 'too many unfinished runs for this key (limit 1)' } });
    expect((await Node.join(server, { buildId: 'two', key: OTHER_KEY })).reply.status).toBe('ok');
  });
});
