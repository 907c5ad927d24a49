/** `GET /health`, for load balancers and container probes, while running and while shutting down. */
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { OrchestratorServer } from '../../src/server';
import { cleanup, KEY, startTestServer, upgradeStatus } from './helpers';

afterEach(cleanup);

function health(server: OrchestratorServer): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, path: '/health', agent: false }, res => {
      let body = '';
      res.on('data', chunk => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(body) }));
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * A WebSocket client that completes the handshake and then never answers:
 * not even the server's close frame, so a closing server waits on it.
 */
async function silentClient(server: OrchestratorServer): Promise<{ socket: Socket; closeFrame: Promise<void> }> {
  const socket = connect(server.port, '127.0.0.1');
  socket.write(
    `GET /test_orchestrators/socket/websocket?secret_key=${KEY}&vsn=2.0.0 HTTP/1.1\r\nHost: 127.0.0.1\r\n` +
      'Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
  );
  let received = Buffer.alloc(0);
  let onData: () => void = () => undefined;
  socket.on('data', chunk => {
    received = Buffer.concat([received, chunk]);
    onData();
  });
  await new Promise<void>(resolve => (onData = () => received.includes('\r\n\r\n') && resolve()));
  expect(received.toString('latin1')).toMatch(/^HTTP\/1\.1 101 /);
  const handshake = received.indexOf('\r\n\r\n') + 4;
  // 0x88: a final close frame.
  const closeFrame = new Promise<void>(resolve => {
    onData = () => received.length > handshake && received[handshake] === 0x88 && resolve();
    onData();
  });
  return { socket, closeFrame };
}

it('answers 200 ok while the server runs', async () => {
  const server = await startTestServer();
  expect(await health(server)).toEqual({ status: 200, body: { status: 'ok' } });
});

it('/health during shutdown: 503 "closing" while sockets drain, and upgrades are refused with 503', async () => {
  const server = await startTestServer({ shutdownGraceMs: 60_000 });
  const silent = await silentClient(server);
  const closing = server.close();
  // The server has asked the client to close and now waits for it: it is shutting down.
  await silent.closeFrame;
  expect(await health(server)).toEqual({ status: 503, body: { status: 'closing' } });
  expect(await upgradeStatus(server, `secret_key=${KEY}`)).toEqual({ status: 503, body: 'the server is shutting down\n' });
  silent.socket.destroy();
  await closing;
  // Closed: nothing listens any more.
  await expect(health(server)).rejects.toThrow(/ECONNREFUSED/);
});
