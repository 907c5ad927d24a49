import type WebSocket from 'isomorphic-ws';
import type { Socket } from 'phoenix';

/** disconnect() polls for the close for up to ~1.5 s; do not wait longer. */
const DISCONNECT_WAIT_MS = 2_000;

/**
 * Disconnects a phoenix socket, then terminates every transport in
 * `transports` that is still open. Resolves within 2 s whatever the server
 * does.
 */
export function closeSocket(socket: Socket, transports: Set<WebSocket>): Promise<void> {
  // A socket phoenix gave up on (a heartbeat timeout) waits up to 30 s for
  // a close frame from a server that may be stopped, holding the process:
  // cut it, and any other, once the clean close has had its chance.
  return new Promise<void>(resolve => {
    const done = (): void => {
      for (const ws of transports) ws.terminate();
      transports.clear();
      resolve();
    };
    const cap = setTimeout(done, DISCONNECT_WAIT_MS);
    socket.disconnect(() => {
      clearTimeout(cap);
      done();
    });
  });
}
