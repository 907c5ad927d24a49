/**
 * A loopback TCP proxy in front of the server that can cut every live
 * connection and refuse new ones for a while: a real network outage as the
 * client sees it, with no fake in the client or the server.
 */
import * as net from 'node:net';

export interface CuttableProxy {
  readonly url: string;
  /** Destroys every live connection; new ones are refused for `outageMs`. */
  cut(outageMs?: number): void;
  /** Connections accepted so far. */
  readonly accepted: number;
  close(): Promise<void>;
}

export async function startProxy(targetPort: number): Promise<CuttableProxy> {
  const pairs = new Set<net.Socket>();
  let refuseUntil = 0;
  let accepted = 0;
  const server = net.createServer(client => {
    if (Date.now() < refuseUntil) {
      client.destroy();
      return;
    }
    accepted += 1;
    const upstream = net.connect(targetPort, '127.0.0.1');
    for (const [a, b] of [[client, upstream], [upstream, client]] as const) {
      a.pipe(b);
      a.on('error', () => b.destroy());
      a.on('close', () => b.destroy());
      pairs.add(a);
      a.on('close', () => pairs.delete(a));
    }
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `ws://127.0.0.1:${port}`,
    get accepted() {
      return accepted;
    },
    cut(outageMs = 0) {
      refuseUntil = Date.now() + outageMs;
      for (const socket of pairs) socket.destroy();
    },
    close() {
      for (const socket of pairs) socket.destroy();
      return new Promise(resolve => server.close(() => resolve()));
    },
  };
}
