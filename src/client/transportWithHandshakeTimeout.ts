import WebSocket from 'isomorphic-ws';

/**
 * The `ws` class with a handshake timeout (phoenix constructs the transport
 * itself, with (url, protocols) only), recording each socket it makes in
 * `made` until it closes, so the client can cut them all.
 */
export function transportWithHandshakeTimeout(handshakeTimeout: number, made: Set<WebSocket>): new (endpoint: string) => object {
  return class TimedWebSocket extends WebSocket {
    constructor(url: string, protocols?: string | string[]) {
      super(url, protocols, { handshakeTimeout });
      made.add(this);
      this.once('close', () => made.delete(this));
    }
  } as unknown as new (endpoint: string) => object;
}
