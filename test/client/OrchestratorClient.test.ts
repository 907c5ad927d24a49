/**
 * The orchestrator client against the real server, through a proxy that
 * sees every frame and can drop, rewrite or cut at the one the test picks.
 */
import { randomUUID } from 'node:crypto';
import { OrchestratorClient, type ClientOptions } from '../../src/client';
import { resolveConfig } from '../../src/config';
import { ErrorCodes, type FastCiError } from '../../src/errors';
import { pendingEntry } from '../../src/protocol/entries';
import type { OrchestratorServer } from '../../src/server';
import { eventOf, startFrameProxy, type FrameProxy } from '../helpers/frameProxy';
import { cleanup, KEY, passed, RawSocket, startTestServer, until } from '../server/helpers';

let proxy: FrameProxy | undefined;
const clients: OrchestratorClient[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) await client.close();
  await proxy?.close();
  proxy = undefined;
  await cleanup();
});

function client(server: string, buildId: string, env: Record<string, string> = {}, options: Partial<ClientOptions> = {}): OrchestratorClient {
  const config = resolveConfig({
    env: { FAST_CI_SECRET_KEY: KEY, FAST_CI_SERVER: server, FAST_CI_BUILD_ID: buildId, FAST_CI_CONNECT_TIMEOUT: '5', ...env },
    readGit: () => ({}),
  });
  const made = new OrchestratorClient(config, { workers: 2, reconnectAfterMs: () => 50, ...options });
  clients.push(made);
  return made;
}

async function proxied(server: OrchestratorServer): Promise<FrameProxy> {
  proxy = await startFrameProxy(server.url);
  return proxy;
}

/** A client on a one-file run it enqueued itself. */
async function enqueued(server: OrchestratorServer, url: string, options: Partial<ClientOptions> = {}, env: Record<string, string> = {}) {
  const buildId = randomUUID();
  const c = client(url, buildId, env, options);
  const join = await c.connect();
  c.enq({ 'a.test.ts': pendingEntry() });
  await until(() => server.run(buildId)?.state === 'running', 'the run enqueued');
  return { c, buildId, join };
}

describe('connect and join', () => {
  it('joins as node 0 and sends its workers in the join payload', async () => {
    const server = await startTestServer();
    const buildId = randomUUID();
    const join = await client(server.url, buildId, {}, { workers: 3 }).connect();
    expect(join).toEqual({ event: 'join', node_index: 0, state: 'waiting', extensions: ['files', 'running', 'reports', 'backups', 'parts', 'retry_run', 'cancel', 'bail', 'warm', 'shard', 'run_url', 'quarantine'] });
    expect(server.run(buildId)!.nodes[0]).toMatchObject({ workers: 3, connected: true });
  });

  it('HTTP 429: refused at once with FASTCI_ERR_REFUSED, naming the connection limit', async () => {
    const server = await startTestServer({ maxConnectionsPerKey: 1 });
    const holder = await RawSocket.open(server, `secret_key=${KEY}`);
    const error = (await client(server.url, randomUUID()).connect().catch(e => e)) as FastCiError;
    holder.close();
    expect(error.code).toBe(ErrorCodes.REFUSED);
    expect(error.message).toBe(
      `The orchestrator at ${server.url} refused the connection (HTTP 429): it has too many connections for this key; lower the number of nodes or raise the server's maxConnectionsPerKey.`,
    );
  });

  it('HTTP 403: refused at once for a wrong key, which never appears in the message', async () => {
    const server = await startTestServer();
    const c = client(server.url, randomUUID(), { FAST_CI_SECRET_KEY: 'not-the-key-8c1e' });
    const error = (await c.connect().catch(e => e)) as FastCiError;
    expect(error.code).toBe(ErrorCodes.REFUSED);
    expect(error.message).toContain('(HTTP 403): the secret key is wrong');
    expect(error.message).not.toContain('not-the-key-8c1e');
  });

  it('FASTCI_ERR_UNREACHABLE when nothing answers within the connect timeout', async () => {
    const server = await startTestServer();
    const p = await proxied(server);
    p.cut(60_000);
    const error = (await client(p.url, randomUUID(), { FAST_CI_CONNECT_TIMEOUT: '1' }).connect().catch(e => e)) as FastCiError;
    expect(error.code).toBe(ErrorCodes.UNREACHABLE);
    expect(error.message).toMatch(new RegExp(`^Could not reach the orchestrator at ${p.url} within 1s`));
  });
});

describe('deq', () => {
  it('FASTCI_ERR_TIMEOUT: a deq whose reply never comes is rejected after the deq timeout', async () => {
    const server = await startTestServer();
    const p = await proxied(server);
    p.onFrame(frame => (frame.direction === 'down' && eventOf(frame) === 'deq' ? 'drop' : 'forward'));
    const { c } = await enqueued(server, p.url, { deqTimeoutMs: 300 });
    const error = (await c.deq({}).catch(e => e)) as FastCiError;
    expect(error.code).toBe(ErrorCodes.TIMEOUT);
    expect(error.message).toBe(`The orchestrator at ${p.url} did not answer deq within 0.3 s.`);
  });

  it('FASTCI_ERR_PROTOCOL: a deq reply of the wrong shape is rejected, quoting it', async () => {
    const server = await startTestServer();
    const p = await proxied(server);
    p.onFrame(frame => {
      if (frame.direction !== 'down' || eventOf(frame) !== 'deq') return 'forward';
      return { replace: JSON.stringify({ ...frame.message, payload: { status: 'ok', response: { event: 'deq', tests: 'all of them' } } }) };
    });
    const { c } = await enqueued(server, p.url);
    const error = (await c.deq({}).catch(e => e)) as FastCiError;
    expect(error.code).toBe(ErrorCodes.PROTOCOL);
    expect(error.message).toBe('The orchestrator sent a deq reply this client does not understand: {"event":"deq","tests":"all of them"}');
  });

  it('FASTCI_ERR_PROTOCOL: a frame over the server limit (close 1009) fails the node instead of being re-sent forever', async () => {
    const server = await startTestServer({ maxFrameBytes: 4_096 });
    const { c } = await enqueued(server, server.url);
    const fatal = new Promise<FastCiError>(resolve => c.onFatal(resolve));
    const big = { ...passed(), '1': { status: 'passed' as const, run_time: 0, description: 'x'.repeat(8_000) } };
    const error = (await c.deq({ 'a.test.ts': big }).catch(e => e)) as FastCiError;
    expect(error.code).toBe(ErrorCodes.PROTOCOL);
    expect(error.message).toMatch(/closed the connection with code 1009: it refused what this node sent as too large/);
    expect(await fatal).toBe(error);
  });

  it('a deq lost with the connection is sent once, by the rejoin, and leases one batch', async () => {
    const server = await startTestServer();
    const p = await proxied(server);
    const { c, buildId } = await enqueued(server, p.url);
    let cutOnce = false;
    p.onFrame(frame => {
      if (frame.direction === 'up' && frame.message?.event === 'deq' && !cutOnce) {
        cutOnce = true;
        return 'cut';
      }
      return 'forward';
    });
    const reply = await c.deq({});
    expect(reply.tests).toEqual(['a.test.ts']);
    expect(p.accepted).toBe(2);
    // The server saw exactly one deq: the one the rejoin sent.
    expect(p.frames.filter(f => f.direction === 'up' && f.message?.event === 'deq' && f.verdict === 'forward')).toHaveLength(1);
    expect(server.run(buildId)!.leased).toEqual({ 'a.test.ts': 0 });
  });

  it('an error reply to deq rejects it and fails the client with the reason', async () => {
    const server = await startTestServer();
    const { c } = await enqueued(server, server.url);
    const fatal = new Promise<FastCiError>(resolve => c.onFatal(resolve));
    const error = (await c.deq({ 'a.test.ts': { ...passed(), file_status: 'done' as never } }).catch(e => e)) as FastCiError;
    expect(error.code).toBe(ErrorCodes.SERVER);
    expect(error.message).toBe('The orchestrator rejected deq: deq results["a.test.ts"]: file_status must be "pending", "passed" or "failed".');
    expect((await fatal).code).toBe(ErrorCodes.SERVER);
  });
});

describe('a lost connection', () => {
  it('rejoins as the same node when it comes back within the reconnect timeout', async () => {
    const server = await startTestServer({ reconnectGraceMs: 10_000 });
    const p = await proxied(server);
    const { c, buildId } = await enqueued(server, p.url);
    const rejoined = new Promise(resolve => c.onRejoin(resolve));
    p.cut(200);
    expect(await rejoined).toEqual({ event: 'join', node_index: 0, state: 'running', leases: [], extensions: ['files', 'running', 'reports', 'backups', 'parts', 'retry_run', 'cancel', 'bail', 'warm', 'shard', 'run_url', 'quarantine'] });
    expect(server.run(buildId)!.nodes).toHaveLength(1);
  });

  it('FASTCI_ERR_CONNECTION_LOST once it stays gone past the reconnect timeout', async () => {
    const server = await startTestServer();
    const p = await proxied(server);
    const { c } = await enqueued(server, p.url, {}, { FAST_CI_RECONNECT_TIMEOUT: '1' });
    const fatal = new Promise<FastCiError>(resolve => c.onFatal(resolve));
    p.cut(60_000);
    const error = await fatal;
    expect(error.code).toBe(ErrorCodes.CONNECTION_LOST);
    expect(error.message).toMatch(new RegExp(`^Lost the connection to the orchestrator at ${p.url} and could not restore it within 1s`));
  });

  it('a silent server (not a frame back, heartbeats included): FASTCI_ERR_CONNECTION_LOST after the heartbeat timeout and the reconnect timeout', async () => {
    const server = await startTestServer();
    const p = await proxied(server);
    const { c } = await enqueued(server, p.url, {}, { FAST_CI_HEARTBEAT_INTERVAL: '0.2', FAST_CI_RECONNECT_TIMEOUT: '1' });
    const fatal = new Promise<FastCiError>(resolve => c.onFatal(resolve));
    // The TCP connection stays up; nothing comes back on it, or on any new one.
    p.onFrame(frame => (frame.direction === 'down' ? 'drop' : 'forward'));
    const error = await fatal;
    expect(error.code).toBe(ErrorCodes.CONNECTION_LOST);
    expect(error.message).toBe(`Lost the connection to the orchestrator at ${p.url} and could not restore it within 1s (the orchestrator stopped answering heartbeats).`);
  });
});
