import { cleanup, KEY, Node, pendingTests, RawSocket, resultsFor, startTestServer } from './helpers';

afterEach(cleanup);

const TOPIC = 'test_orchestrator:jest-b1';

async function joined(options: Parameters<typeof startTestServer>[0] = {}) {
  const server = await startTestServer(options);
  const raw = await RawSocket.open(server);
  raw.send(['1', '1', TOPIC, 'phx_join', {}]);
  await raw.nextFrame();
  return { server, raw };
}

describe('frames that cannot be framed close the socket with a reason', () => {
  it.each([
    ['invalid JSON', '{"topic":', 1007, 'malformed frame: frame is not valid JSON'],
    ['an array of the wrong length', '[1,2]', 1007, 'malformed frame: a vsn 2.0.0 frame must be a JSON array'],
    ['a frame with no ref to answer', '[null,null,"t","deq",7]', 1007, 'malformed frame: payload must be a JSON object'],
  ])('%s', async (_what, frame, code, reason) => {
    const server = await startTestServer();
    const raw = await RawSocket.open(server);
    raw.send(frame);
    const closed = await raw.closed;
    expect(closed.code).toBe(code);
    expect(closed.reason).toContain(reason);
  });

  it('a binary frame (1003)', async () => {
    const server = await startTestServer();
    const raw = await RawSocket.open(server);
    raw.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    expect((await raw.closed).code).toBe(1003);
  });

  it('a frame over maxFrameBytes (1009)', async () => {
    const server = await startTestServer({ maxFrameBytes: 1024 });
    const raw = await RawSocket.open(server);
    raw.send(['1', '2', TOPIC, 'deq', { big: 'x'.repeat(2048) }]);
    expect((await raw.closed).code).toBe(1009);
  });
});

describe('bad frames with a ref get an error reply naming the problem', () => {
  it('a payload that is not an object', async () => {
    const { raw } = await joined();
    raw.send(['1', '9', TOPIC, 'deq', 'results']);
    expect(await raw.nextFrame()).toEqual(['1', '9', TOPIC, 'phx_reply', { status: 'error', response: { event: 'error', reason: 'payload must be a JSON object' } }]);
    raw.close();
  });

  it.each([
    ['enq without tests', 'enq', { files: [] }, 'enq payload must be {"tests": {<test id>: <entry>}}'],
    ['an enq entry of the wrong shape', 'enq', { tests: { 'a.test.ts': { file_status: 'done' } } }, 'enq tests["a.test.ts"]: file_status must be'],
    ['an enq entry without the "1" case', 'enq', { tests: { 'a.test.ts': { file_status: 'pending', test_count: 1, test_counters: { failed: 0, passed: 0, pending: 0 } } } }, 'must have the numbered case "1"'],
    ['a result of the wrong shape', 'deq', { 'a.test.ts': { file_status: 'passed', test_count: -1 } }, 'deq results["a.test.ts"]: test_count must be'],
    ['an empty test id', 'enq', { tests: { '': pendingTests(1)['file-0.test.ts'] } }, 'test ids must be non-empty strings'],
  ])('%s', async (_what, event, payload, reason) => {
    const { raw } = await joined();
    raw.send(['1', '3', TOPIC, event, payload]);
    const reply = await raw.nextFrame();
    expect(reply[4].status).toBe('error');
    expect(reply[4].response.reason).toContain(reason);
    raw.close();
  });

  it('a bad join payload', async () => {
    const server = await startTestServer();
    const raw = await RawSocket.open(server);
    raw.send(['1', '1', TOPIC, 'phx_join', { workers: 0 }]);
    expect((await raw.nextFrame())[4]).toEqual({ status: 'error', response: { event: 'error', reason: 'workers must be an integer from 1 to 1024' } });
    raw.close();
  });

  it('a run over maxFilesPerRun', async () => {
    const server = await startTestServer({ maxFilesPerRun: 2 });
    const { node } = await Node.join(server);
    const reply = await node.enq(pendingTests(3));
    expect(reply).toEqual({ status: 'error', response: { event: 'error', reason: 'enq tests has 3 files; this server accepts at most 2 per run' } });
  });
});

it('keeps other runs going while one socket sends garbage', async () => {
  const server = await startTestServer();
  const { node } = await Node.join(server, { buildId: 'good' });
  await node.enq(pendingTests(2));
  const garbage = await RawSocket.open(server, `secret_key=${KEY}&vsn=2.0.0`);
  for (const frame of ['nope', '[]', '{}', '["1","2","test_orchestrator:jest-good","enq",{"tests":7}]']) garbage.send(frame);
  await garbage.closed;
  let reply = await node.deq();
  while (reply.response.tests.length > 0) reply = await node.deq(resultsFor(reply.response.tests));
  expect(reply.response.summary).toMatchObject({ files: 2, passed: 2 });
});

describe('limits and lookalike ids', () => {
  it('refuses a new node past maxNodesPerRun, but still takes a rejoin by node_id', async () => {
    const server = await startTestServer({ maxNodesPerRun: 2 });
    await Node.join(server, { nodeId: 'a' });
    await Node.join(server, { nodeId: 'b' });
    const third = await Node.join(server, { nodeId: 'c' });
    expect(third.reply).toEqual({
      status: 'error',
      response: { event: 'error', reason: 'this run already has 2 nodes (limit 2); a rejoin must send its node_id' },
    });
    const again = await Node.join(server, { nodeId: 'b' });
    expect(again.reply.status).toBe('ok');
    expect(again.reply.response.node_index).toBe(1);
  });

  it('does not take an id like "toString" for an enqueued one when comparing a second enq', async () => {
    const server = await startTestServer();
    const { node } = await Node.join(server);
    await node.enq(pendingTests(1));
    const second = await node.enq({ toString: pendingTests(1)['file-0.test.ts']! });
    expect(second).toEqual({ status: 'error', response: { event: 'error', reason: 'enq differs from the tests already enqueued for this run in 2 test ids' } });
  });
});

describe('caps on what a client holding a key can make the server keep, echo or log', () => {
  it('refuses a build id over 200 characters, or with a newline, naming the rule and not echoing the id', async () => {
    const server = await startTestServer();
    const raw = await RawSocket.open(server);
    const long = `test_orchestrator:jest-${'x'.repeat(300)}`;
    raw.send(['1', '1', long, 'phx_join', {}]);
    expect((await raw.nextFrame())[4]).toEqual({
      status: 'error',
      response: { event: 'error', reason: 'cannot join: the build id must be 1 to 200 characters of letters, digits and ._-:@/+ (got 300 characters starting "xxxxxxxxxxxxxxxxxxxx")' },
    });
    raw.send(['2', '2', 'test_orchestrator:jest-forged\nline', 'phx_join', {}]);
    expect((await raw.nextFrame())[4].response.reason).toBe('cannot join: the build id must be 1 to 200 characters of letters, digits and ._-:@/+ (got "forged\\nline")');
    expect(server.runs()).toEqual([]);
    raw.close();
  });

  it('refuses a run key that is not a name', async () => {
    const server = await startTestServer();
    const raw = await RawSocket.open(server, `secret_key=${KEY}&vsn=2.0.0&run_key=a%20b`);
    raw.send(['1', '1', 'test_orchestrator:a b-123', 'phx_join', {}]);
    expect((await raw.nextFrame())[4].response.reason).toBe('cannot join: the run key must be 1 to 64 characters of letters, digits, _ and . (got "a b")');
    raw.close();
  });

  it('closes the socket (1007) on a ref over 64 characters instead of echoing it', async () => {
    const server = await startTestServer();
    const raw = await RawSocket.open(server);
    raw.send(['1', 'r'.repeat(65), 'phoenix', 'heartbeat', {}]);
    const closed = await raw.closed;
    expect(closed.code).toBe(1007);
    expect(closed.reason).toContain('ref must be a string of at most 64 characters');
    expect(raw.frames).toEqual([]);
  });

  it('cuts a socket whose unsent output passes maxUnsentBytes (a client that stopped reading)', async () => {
    const server = await startTestServer({ maxUnsentBytes: 256 * 1024 });
    const { node } = await Node.join(server);
    await node.enq(pendingTests(2_000));
    // A raw client that asks for the run's 2,000 ids again and again and never reads a reply.
    const raw = await RawSocket.open(server);
    raw.send(['1', '1', TOPIC.replace('b1', 'build-1'), 'phx_join', {}]);
    await raw.nextFrame();
    const socket = (raw.ws as unknown as { _socket: import('node:net').Socket })._socket;
    socket.pause();
    const check = ['1', '2', TOPIC.replace('b1', 'build-1'), 'files', { count: 0, digest: '0'.repeat(64) }];
    let sent = 0;
    while (raw.ws.readyState === raw.ws.OPEN && sent < 5_000) {
      raw.send([...check.slice(0, 1), String(sent), ...check.slice(2)]);
      sent += 1;
      if (sent % 50 === 0) await new Promise(resolve => setTimeout(resolve, 5));
    }
    socket.resume();
    await raw.closed;
    // Each reply carries about 40 KB of ids: far fewer than 5,000 fit before the server cut the socket.
    expect(sent).toBeLessThan(5_000);
  });
});
